import { useCallback, useEffect, useState } from "preact/hooks";

/** What a read from the API has given so far: nothing yet, its data, or the error it met. */
export type Reading<T> = { state: "loading" } | { state: "ok"; data: T } | { state: "error"; error: unknown };

/**
 * Reads `load()` now, again when `deps` change, and on `reload()` (after an action changed the data);
 * a read that a newer one overtook is dropped, so a slow answer never replaces a fresher one.
 *
 * @example
 * const [teams, reload] = useReload(() => session.teams.list(), []);
 */
export function useReload<T>(load: () => Promise<T>, deps: readonly unknown[]): [Reading<T>, () => void] {
  const [reading, setReading] = useState<Reading<T>>({ state: "loading" });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let current = true;
    load().then(
      (data) => current && setReading({ state: "ok", data }),
      (error: unknown) => current && setReading({ state: "error", error }),
    );
    return () => {
      current = false;
    };
  }, [...deps, round]);
  const reload = useCallback(() => setRound((value) => value + 1), []);
  return [reading, reload];
}
