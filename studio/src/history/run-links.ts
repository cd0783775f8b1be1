import type { Run } from "@sdgate/shared";
import { draftOfRequest, queryOf, rollSeed, withSeed } from "../playground/draft.ts";

/**
 * The playground links of a run: Use all (its whole request), Remix (the same with a new seed) and
 * Use seed (the current playground form, `search`, with only this run's seed); `null` where the
 * record cannot fill the form.
 *
 * @example
 * const links = playgroundLinks(run, location.search);
 */
export function playgroundLinks(
  run: Pick<Run, "request" | "images">,
  search: string,
  newSeed: () => number = rollSeed,
): { useAll: string | null; remix: string | null; useSeed: string | null } {
  const draft = draftOfRequest(run.request);
  const seed = run.images[0]?.seed ?? (typeof run.request.seed === "number" ? run.request.seed : null);
  return {
    useAll: draft === null ? null : `?${queryOf(draft)}#/playground`,
    remix:
      draft === null ? null : `?${queryOf({ ...draft, seed: newSeed(), seedLocked: false })}#/playground`,
    useSeed: seed === null ? null : `?${withSeed(search, seed)}#/playground`,
  };
}
