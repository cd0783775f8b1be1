import { useState } from "preact/hooks";
import { useReload } from "../components/use-reload.ts";
import { type Problem, problemOf } from "./api-error.ts";

/** Data a section reads from the API: loading, loaded, or the problem it met. */
export type Loaded<T> =
  | { state: "loading" }
  | { state: "ok"; data: T }
  | { state: "error"; problem: Problem };

/**
 * Loads data when the keys change and on `reload()` (after an action changed it), its error as the
 * problem shown beside the section.
 *
 * @example
 * const [teams, reload] = useLoaded(() => session.teams.list(), []);
 */
export function useLoaded<T>(load: () => Promise<T>, keys: readonly unknown[]): [Loaded<T>, () => void] {
  const [reading, reload] = useReload(load, keys);
  return [
    reading.state === "error" ? { state: "error", problem: problemOf(reading.error) } : reading,
    reload,
  ];
}

/**
 * Runs an action: busy while it runs, its problem kept for the line beside it, `onDone` after success.
 *
 * @example
 * const revoke = useAction(() => session.keys.revoke(id), reload);
 * <button disabled={revoke.busy} onClick={revoke.run}>Revoke</button>
 */
export function useAction<T>(
  act: () => Promise<T>,
  onDone: (result: T) => void = () => undefined,
): { run: () => Promise<void>; busy: boolean; problem: Problem | null; clear: () => void } {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const run = async () => {
    setBusy(true);
    setProblem(null);
    try {
      onDone(await act());
    } catch (error) {
      setProblem(problemOf(error));
    } finally {
      setBusy(false);
    }
  };
  return { run, busy, problem, clear: () => setProblem(null) };
}
