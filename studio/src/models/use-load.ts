import { useReload } from "../components/use-reload.ts";
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
  const [reading, reload] = useReload(load, deps);
  if (reading.state === "ok") return [{ state: "ready", value: reading.data }, reload];
  if (reading.state === "error") return [{ state: "error", message: errorText(reading.error) }, reload];
  return [reading, reload];
}
