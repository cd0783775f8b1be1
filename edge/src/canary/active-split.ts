import type { ModelRef, SplitSettings } from "@sdgate/shared";

/** A running split as serving needs it: its settings, and the version its canary alias points at now. */
export interface ActiveSplit extends SplitSettings {
  id: string;
  model_id: string;
  alias: string;
  canary: { version: string; digest: string };
}

interface SplitRow extends Omit<ActiveSplit, "canary"> {
  canary_version: number;
  canary_digest: string;
}

/**
 * The split running on the alias a reference names, with the canary alias's version now; `null` for
 * a pin or an alias without one.
 *
 * @example
 * const split = await activeSplit(env.DB, { model: "sd15", alias: "production" });
 */
export async function activeSplit(db: D1Database, ref: ModelRef): Promise<ActiveSplit | null> {
  if (!("alias" in ref)) return null;
  const row = await db
    .prepare(
      `SELECT s.id, s.model_id, s.alias, s.to_alias, s.weight, s.max_error_rate, s.max_p95_ms, s.min_requests,
         v.version AS canary_version, v.digest AS canary_digest
       FROM alias_splits s
       JOIN model_aliases a ON a.model_id = s.model_id AND a.name = s.to_alias
       JOIN model_versions v ON v.model_id = a.model_id AND v.version = a.version
       WHERE s.model_id = ? AND s.alias = ?`,
    )
    .bind(ref.model, ref.alias)
    .first<SplitRow>();
  if (row === null) return null;
  const { canary_version, canary_digest, ...split } = row;
  return { ...split, canary: { version: `v${canary_version}`, digest: canary_digest } };
}

/** Which side of its split one request takes. */
export interface SplitDraw {
  split: ActiveSplit;
  /** The version this request runs, and the alias's own (stable) version. */
  version: string;
  stable: string;
  side: "stable" | "canary";
}
