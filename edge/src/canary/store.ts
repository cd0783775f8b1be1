import {
  type Result,
  randomHex,
  type Split,
  type SplitBody,
  type SplitView,
  splitBodySchema,
} from "@sdgate/shared";
import { getAlias } from "../model-registry/index.ts";
import { invalid, type Problem } from "../model-registry/records.ts";
import { forgetResolutions } from "../model-registry/serving.ts";

const SPLIT_COLUMNS =
  "id, model_id, alias, to_alias, weight, max_error_rate, max_p95_ms, min_requests, started_at, started_by";

/** A split as the registry's readers see it. */
export async function getSplit(db: D1Database, modelId: string, alias: string): Promise<Split | null> {
  return db
    .prepare(`SELECT ${SPLIT_COLUMNS} FROM alias_splits WHERE model_id = ? AND alias = ?`)
    .bind(modelId, alias)
    .first<Split>();
}

/** The last split of an alias that ended, for its view. */
export async function lastEndedSplit(
  db: D1Database,
  modelId: string,
  alias: string,
): Promise<SplitView["last_ended"]> {
  const row = await db
    .prepare(
      `SELECT id, reason, ended_at, ended_by, detail FROM split_history WHERE model_id = ? AND alias = ?
       ORDER BY ended_at DESC, rowid DESC LIMIT 1`,
    )
    .bind(modelId, alias)
    .first<{
      id: string;
      reason: "stopped" | "rolled_back";
      ended_at: string;
      ended_by: string;
      detail: string;
    }>();
  return row ? { ...row, detail: JSON.parse(row.detail) as Record<string, unknown> } : null;
}

/**
 * Starts a canary split of `alias` towards `to_alias`'s version, or retunes the running one (its id,
 * start and numbers stay). Both aliases must exist and point at different versions: each got there
 * through an approved promotion, so the split sends traffic only to approved versions.
 *
 * @example
 * const started = await startSplit(env.DB, "sd15", "production", { weight: 10 }, actor);
 */
export async function startSplit(
  db: D1Database,
  modelId: string,
  alias: string,
  body: SplitBody,
  actor: string,
  now: Date = new Date(),
): Promise<Result<{ before: Split | null; after: Split }, Problem<"invalid" | "not_found">>> {
  const parsed = splitBodySchema.safeParse(body);
  if (!parsed.success) return { ok: false, error: invalid(parsed.error) };
  const settings = parsed.data;
  const [stable, canary] = await Promise.all([
    getAlias(db, modelId, alias),
    getAlias(db, modelId, settings.to_alias),
  ]);
  for (const [name, found] of [
    [alias, stable],
    [settings.to_alias, canary],
  ] as const) {
    if (!found)
      return {
        ok: false,
        error: {
          code: "not_found",
          ref: `${modelId}@${name}`,
          message: `Alias '${modelId}@${name}' does not exist.`,
        },
      };
  }
  if (stable?.version === canary?.version)
    return {
      ok: false,
      error: {
        code: "invalid",
        message: `'${modelId}@${alias}' and '${modelId}@${settings.to_alias}' both point at ${stable?.version}: nothing to split.`,
      },
    };
  const before = await getSplit(db, modelId, alias);
  const after = await db
    .prepare(
      `INSERT INTO alias_splits (${SPLIT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (model_id, alias) DO UPDATE SET to_alias = excluded.to_alias, weight = excluded.weight,
         max_error_rate = excluded.max_error_rate, max_p95_ms = excluded.max_p95_ms, min_requests = excluded.min_requests
       RETURNING ${SPLIT_COLUMNS}`,
    )
    .bind(
      `spl_${randomHex(8)}`,
      modelId,
      alias,
      settings.to_alias,
      settings.weight,
      settings.max_error_rate,
      settings.max_p95_ms,
      settings.min_requests,
      now.toISOString(),
      actor,
    )
    .first<Split>();
  if (!after) throw new Error("Writing a split returned no row.");
  forgetResolutions(db, modelId);
  return { ok: true, value: { before, after } };
}

/**
 * Ends a split: it moves into the history with why and its numbers, in one transaction. `null` when
 * there was none (or another caller, a person or the watcher, ended it first): one ending only.
 *
 * @example
 * const ended = await endSplit(env.DB, "sd15", "production", { reason: "stopped", by: actor, detail: {} });
 */
export async function endSplit(
  db: D1Database,
  modelId: string,
  alias: string,
  end: { reason: "stopped" | "rolled_back"; by: string; detail: Record<string, unknown>; splitId?: string },
  now: Date = new Date(),
): Promise<Split | null> {
  const which = "model_id = ?1 AND alias = ?2 AND (?3 IS NULL OR id = ?3)";
  const [, deleted] = await db.batch([
    db
      .prepare(
        `INSERT INTO split_history (id, model_id, alias, to_alias, weight, started_at, started_by, ended_at, ended_by, reason, detail)
         SELECT id, model_id, alias, to_alias, weight, started_at, started_by, ?4, ?5, ?6, ?7 FROM alias_splits WHERE ${which}`,
      )
      .bind(
        modelId,
        alias,
        end.splitId ?? null,
        now.toISOString(),
        end.by,
        end.reason,
        JSON.stringify(end.detail),
      ),
    db
      .prepare(`DELETE FROM alias_splits WHERE ${which} RETURNING ${SPLIT_COLUMNS}`)
      .bind(modelId, alias, end.splitId ?? null),
  ]);
  forgetResolutions(db, modelId);
  return ((deleted?.results ?? []) as Split[])[0] ?? null;
}
