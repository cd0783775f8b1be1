import { useCallback, useEffect, useState } from "preact/hooks";
import { errorText } from "./format.ts";

/** A value read from the API: not yet, read, or why it could not be. */
export type Loaded<T> =
  | { state: "loading" }
  | { state: "ready"; value: T }
  | { state: "error"; message: string };

/**
 * Reads `load()` now and again when `deps` change or `reload()` is called; a read that a newer one
 * overtook is dropped, so a slow answer never replaces a fresher one.
 *
 * @example
 * const [versions, reload] = useLoad(() => session.registry.versions(id), [id]);
 */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]): [Loaded<T>, () => void] {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: "loading" });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let current = true;
    load().then(
      (value) => current && setLoaded({ state: "ready", value }),
      (error: unknown) => current && setLoaded({ state: "error", message: errorText(error) }),
    );
    return () => {
      current = false;
    };
  }, [...deps, round]);
  const reload = useCallback(() => setRound((n) => n + 1), []);
  return [loaded, reload];
}
