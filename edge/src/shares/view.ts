import { SHARED_RECIPE_FIELDS, type SharedRun, type SharedView } from "@sdgate/shared";
import { type LinkSigner, runRecordOf } from "../runs/image-links.ts";
import type { StoredRun } from "../runs/store.ts";
import { layoutOf, type ShareRow } from "./store.ts";

/** The recipe of a run's request that a share shows: {@link SHARED_RECIPE_FIELDS}, nothing else. */
export function sharedRecipeOf(request: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    SHARED_RECIPE_FIELDS.filter((field) => field in request).map((field) => [field, request[field]]),
  );
}

/** A run as a share link shows it: no key, team, cost, backend, notes or experiment. */
export async function sharedRunOf(row: StoredRun, links: LinkSigner | null): Promise<SharedRun> {
  const record = await runRecordOf(row, links);
  return { ...record, request: sharedRecipeOf(record.request) };
}

/**
 * What a share link shows: the layout and its runs in the layout's order (a run gone from the history
 * since, by retention, is left out; the viewer shows its place empty).
 */
export async function sharedViewOf(
  share: ShareRow,
  runs: readonly StoredRun[],
  links: LinkSigner | null,
): Promise<SharedView> {
  const order = JSON.parse(share.run_ids) as string[];
  const byId = new Map(runs.map((run) => [run.id, run]));
  const present = order.flatMap((id) => byId.get(id) ?? []);
  return {
    object: "shared",
    kind: share.kind,
    title: share.title,
    expires_at: share.expires_at,
    layout: layoutOf(share),
    runs: await Promise.all(present.map((run) => sharedRunOf(run, links))),
  };
}
