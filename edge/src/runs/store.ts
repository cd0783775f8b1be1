import type { ResolvedGenerationRequest, RunListQuery, RunStatus } from "@sdgate/shared";
import { runListQuerySchema } from "@sdgate/shared";

/** One run as D1 keeps it (see migration 0016). */
export interface RunRow {
  id: string;
  key_id: string;
  team_id: string | null;
  created_at: string;
  status: RunStatus;
  model: string;
  model_version: string | null;
  prompt: string;
  negative_prompt: string;
  /** JSON of the resolved request without its input images. */
  request: string;
  cost: number | null;
  latency_ms: number | null;
  backend: string | null;
  error_code: string | null;
  /** Where its images are (the replay cache's key), when they were kept where a link can reach them. */
  tenant_tag: string | null;
  cache_key: string | null;
  output_format: string;
  /** JSON array of the images' seeds. */
  seeds: string;
}

const COLUMNS =
  "id, key_id, team_id, created_at, status, model, model_version, prompt, negative_prompt, request, cost, latency_ms, backend, error_code, tenant_tag, cache_key, output_format, seeds";

/**
 * The row of a generation: the request as resolved, without input images (a run records what was
 * asked; the images it was given are the caller's), and each image's seed (seed, seed + 1, …).
 *
 * @example
 * await recordRun(env.DB, runRowOf(resolved, { id: requestId, keyId, teamId, status: "succeeded", … }));
 */
export function runRowOf(
  resolved: ResolvedGenerationRequest,
  run: Pick<
    RunRow,
    "id" | "status" | "cost" | "latency_ms" | "backend" | "error_code" | "tenant_tag" | "cache_key"
  > & {
    keyId: string;
    teamId: string | null;
    at?: Date;
  },
): RunRow {
  const { image, mask, ...asked } = resolved;
  return {
    id: run.id,
    key_id: run.keyId,
    team_id: run.teamId,
    created_at: (run.at ?? new Date()).toISOString(),
    status: run.status,
    model: resolved.model,
    model_version: resolved.model_version?.version ?? null,
    prompt: resolved.prompt,
    negative_prompt: resolved.negative_prompt,
    request: JSON.stringify({
      ...asked,
      image: image === null ? null : "(input image)",
      mask: mask === null ? null : "(mask)",
    }),
    cost: run.cost,
    latency_ms: run.latency_ms === null ? null : Math.round(run.latency_ms),
    backend: run.backend,
    error_code: run.error_code,
    tenant_tag: run.tenant_tag,
    cache_key: run.cache_key,
    output_format: resolved.output_format,
    seeds: JSON.stringify(Array.from({ length: resolved.n }, (_, i) => resolved.seed + i)),
  };
}

/** Records a run once (a repeat of its id, a retried write, changes nothing). */
export async function recordRun(db: D1Database, row: RunRow): Promise<void> {
  const values = COLUMNS.split(", ").map((column) => row[column as keyof RunRow]);
  await db
    .prepare(
      `INSERT INTO runs (${COLUMNS}) VALUES (${values.map(() => "?").join(", ")}) ON CONFLICT DO NOTHING`,
    )
    .bind(...values)
    .run();
}

/** `before`: `<created_at>|<id>` of the last run of the previous page. */
const cursorOf = (row: Pick<RunRow, "created_at" | "id">) => `${row.created_at}|${row.id}`;

/**
 * A page of runs, newest first: the team's when the key has one, else the key's own; filtered by
 * status, model and a substring of the prompt (matched with `instr`, never as a pattern).
 *
 * @example
 * const { rows, nextBefore } = await listRuns(env.DB, { teamId: "team_…" }, { status: "failed" });
 */
export async function listRuns(
  db: D1Database,
  scope: { teamId: string } | { keyId: string },
  query: RunListQuery,
): Promise<{ rows: RunRow[]; nextBefore: string | null }> {
  const { status, model, q, before, limit } = runListQuerySchema.parse(query);
  const where: string[] = ["teamId" in scope ? "team_id = ?" : "key_id = ?"];
  const binds: unknown[] = ["teamId" in scope ? scope.teamId : scope.keyId];
  if (status !== undefined) {
    where.push("status = ?");
    binds.push(status);
  }
  if (model !== undefined) {
    where.push("model = ?");
    binds.push(model);
  }
  if (q !== undefined) {
    where.push("(instr(lower(prompt), lower(?)) > 0 OR instr(lower(negative_prompt), lower(?)) > 0)");
    binds.push(q, q);
  }
  if (before !== undefined) {
    const bar = before.indexOf("|");
    where.push("(created_at, id) < (?, ?)");
    binds.push(before.slice(0, bar), before.slice(bar + 1));
  }
  const { results } = await db
    .prepare(
      `SELECT ${COLUMNS} FROM runs WHERE ${where.join(" AND ")} ORDER BY created_at DESC, id DESC LIMIT ?`,
    )
    .bind(...binds, limit + 1)
    .all<RunRow>();
  const rows = results.slice(0, limit);
  const last = rows.at(-1);
  return { rows, nextBefore: results.length > limit && last ? cursorOf(last) : null };
}

/**
 * Deletes runs older than `maxAgeMs` (the audit's retention, `SDGATE_AUDIT_RETENTION_DAYS`): a run
 * is a record of use, kept as long as the audit keeps its rows. Its images go sooner, with the replay
 * cache's retention, after which the run keeps its numbers and loses its links.
 *
 * @example
 * const deleted = await pruneRuns(env.DB, config.retention.auditMs);
 */
export async function pruneRuns(db: D1Database, maxAgeMs: number, now = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - maxAgeMs).toISOString();
  const result = await db.prepare("DELETE FROM runs WHERE created_at < ?").bind(cutoff).run();
  return result.meta.changes;
}
