import type {
  BackendGenerateResponse,
  ResolvedGenerationRequest,
  RunListQuery,
  RunStatus,
} from "@sdgate/shared";
import { runListQuerySchema } from "@sdgate/shared";
import { tenantTag } from "../cache/key.ts";
import { inputDigestsOf, inputObjectKey } from "./inputs.ts";

/** What ran a generation, when something did: the fleet's engine and its stage timings as reported. */
export interface RunRan {
  engineVersion: string;
  timingsMs: BackendGenerateResponse["timings_ms"];
}

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
  /** JSON of the resolved request, its input images as references (`{"$input": "sha256:…"}`, runs/inputs.ts). */
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
  experiment_id: string | null;
  /** The engine the fleet ran it on (`sdgate-engine/3`); `null` for a replay, a failure or an older run. */
  engine_version: string | null;
  /** JSON of the engine's stage timings as the backend reported them (ms); `null` where none ran. */
  timings_ms: string | null;
}

/** A run as read back: its row, its experiment's name, and what people said of it. */
export interface StoredRun extends RunRow {
  experiment: string | null;
  /** The user id of the person who made the run's key; `null` for a key the admin token made. */
  person: string | null;
  /** That person's name (or email, where the identity provider gave no name). */
  person_name: string | null;
  /** The key's name; `null` for a key since deleted. */
  key_name: string | null;
  notes: string;
  /** JSON array. */
  tags: string;
  rating: number | null;
}

/** Whose runs and experiments a key sees: its team's, or its own when it has none. */
export type RunScope = { teamId: string } | { keyId: string };

export const ownerOf = (scope: RunScope) =>
  "teamId" in scope ? `team:${scope.teamId}` : `key:${scope.keyId}`;

/** Whose a run is ({@link ownerOf}): its team's when it ran under one, else its key's. */
export const ownerOfRun = (row: Pick<RunRow, "team_id" | "key_id">) =>
  ownerOf(row.team_id === null ? { keyId: row.key_id } : { teamId: row.team_id });

/** A run row's columns as D1 keeps them (what a run records, not yet what people said of it). */
const COLUMNS =
  "id, key_id, team_id, created_at, status, model, model_version, prompt, negative_prompt, request, cost, latency_ms, backend, error_code, tenant_tag, cache_key, output_format, seeds, experiment_id, engine_version, timings_ms";
/** Every column of a run row, people's notes, tags and rating included: for queries that read runs beside other tables. */
export const RUN_TABLE_COLUMNS = `${COLUMNS}, notes, tags, rating`;
/** The columns read back, `r.` for runs, `e.` for its experiment and `k.` for its key. */
const READ_COLUMNS = `${COLUMNS.split(", ")
  .map((column) => `r.${column}`)
  .join(
    ", ",
  )}, e.name AS experiment, k.created_by_user_id AS person, COALESCE(u.name, u.email) AS person_name, k.name AS key_name, r.notes, r.tags, r.rating`;
/** Runs with their experiment, key and the key's maker, for {@link READ_COLUMNS}. */
const READ_FROM =
  "runs r LEFT JOIN experiments e ON e.id = r.experiment_id LEFT JOIN api_keys k ON k.id = r.key_id LEFT JOIN users u ON u.id = k.created_by_user_id";

/**
 * The row of a generation: the request as resolved, as recorded (`request`: its input images by
 * digest, runs/inputs.ts), and each image's seed (seed, seed + 1, …).
 *
 * @example
 * const { request } = await withInputReferences(resolved);
 * await recordRun(env.DB, runRowOf(resolved, { id: requestId, request, keyId, teamId, status: "succeeded", … }));
 */
export function runRowOf(
  resolved: ResolvedGenerationRequest,
  run: Pick<
    RunRow,
    | "id"
    | "status"
    | "cost"
    | "latency_ms"
    | "backend"
    | "error_code"
    | "tenant_tag"
    | "cache_key"
    | "experiment_id"
  > & {
    /** What ran it, when something did: the engine and its stage timings. */
    ran?: RunRan;
    /** The resolved request with its input images as references ({@link withInputReferences}). */
    request: Record<string, unknown>;
    keyId: string;
    teamId: string | null;
    at?: Date;
  },
): RunRow {
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
    request: JSON.stringify(run.request),
    cost: run.cost,
    latency_ms: run.latency_ms === null ? null : Math.round(run.latency_ms),
    backend: run.backend,
    error_code: run.error_code,
    tenant_tag: run.tenant_tag,
    cache_key: run.cache_key,
    output_format: resolved.output_format,
    seeds: JSON.stringify(Array.from({ length: resolved.n }, (_, i) => resolved.seed + i)),
    experiment_id: run.experiment_id,
    engine_version: run.ran?.engineVersion ?? null,
    timings_ms: run.ran === undefined ? null : JSON.stringify(run.ran.timingsMs),
  };
}

/**
 * Records a run once (a repeat of its id, a retried write, changes nothing), with the inputs its
 * request refers to (`run_inputs`, migration 0023), in one transaction: what retention counts.
 */
export async function recordRun(db: D1Database, row: RunRow): Promise<void> {
  const values = COLUMNS.split(", ").map((column) => row[column as keyof RunRow]);
  const owner = ownerOfRun(row);
  const digests = inputDigestsOf(JSON.parse(row.request) as Record<string, unknown>);
  await db.batch([
    db
      .prepare(
        `INSERT INTO runs (${COLUMNS}) VALUES (${values.map(() => "?").join(", ")}) ON CONFLICT DO NOTHING`,
      )
      .bind(...values),
    ...digests.map((digest) =>
      db
        .prepare("INSERT INTO run_inputs (run_id, owner, digest) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")
        .bind(row.id, owner, digest),
    ),
  ]);
}

/** `before`: `<created_at>|<id>` of the last run of the previous page. */
const cursorOf = (row: Pick<RunRow, "created_at" | "id">) => `${row.created_at}|${row.id}`;

/**
 * A page of runs, newest first: the team's when the key has one, else the key's own; filtered by
 * experiment, person (whose keys), key, status, model and a substring of the prompt (matched with
 * `instr`, never as a pattern).
 *
 * @example
 * const { rows, nextBefore } = await listRuns(env.DB, { teamId: "team_…" }, { status: "failed" });
 */
export async function listRuns(
  db: D1Database,
  scope: RunScope,
  query: RunListQuery,
): Promise<{ rows: StoredRun[]; nextBefore: string | null }> {
  const { status, model, q, before, limit, experiment, person, key } = runListQuerySchema.parse(query);
  const where: string[] = ["teamId" in scope ? "r.team_id = ?" : "r.key_id = ?"];
  const binds: unknown[] = ["teamId" in scope ? scope.teamId : scope.keyId];
  if (experiment !== undefined) {
    where.push("r.experiment_id = (SELECT id FROM experiments WHERE owner = ? AND name = ?)");
    binds.push(ownerOf(scope), experiment);
  }
  if (person !== undefined) {
    where.push("k.created_by_user_id = ?");
    binds.push(person);
  }
  if (key !== undefined) {
    where.push("r.key_id = ?");
    binds.push(key);
  }
  if (status !== undefined) {
    where.push("r.status = ?");
    binds.push(status);
  }
  if (model !== undefined) {
    where.push("r.model = ?");
    binds.push(model);
  }
  if (q !== undefined) {
    where.push("(instr(lower(r.prompt), lower(?)) > 0 OR instr(lower(r.negative_prompt), lower(?)) > 0)");
    binds.push(q, q);
  }
  if (before !== undefined) {
    const bar = before.indexOf("|");
    where.push("(r.created_at, r.id) < (?, ?)");
    binds.push(before.slice(0, bar), before.slice(bar + 1));
  }
  const { results } = await db
    .prepare(
      `SELECT ${READ_COLUMNS} FROM ${READ_FROM}
       WHERE ${where.join(" AND ")} ORDER BY r.created_at DESC, r.id DESC LIMIT ?`,
    )
    .bind(...binds, limit + 1)
    .all<StoredRun>();
  const rows = results.slice(0, limit);
  const last = rows.at(-1);
  return { rows, nextBefore: results.length > limit && last ? cursorOf(last) : null };
}

/**
 * Deletes runs older than `maxAgeMs` (the audit's retention, `SDGATE_AUDIT_RETENTION_DAYS`): a run
 * is a record of use, kept as long as the audit keeps its rows. Its images go sooner, with the replay
 * cache's retention, after which the run keeps its numbers and loses its links. Its input images go
 * with the last kept run of its owner that refers to them (R2's lifecycle never deletes them).
 * A run recorded in the moment its input's last reference is pruned may find the bytes gone (no lock
 * spans D1 and R2); Reproduce then says its input is missing.
 *
 * @example
 * const deleted = await pruneRuns(env.DB, env.IMAGES, config.retention.auditMs);
 */
export async function pruneRuns(
  db: D1Database,
  images: R2Bucket,
  maxAgeMs: number,
  now = new Date(),
): Promise<number> {
  const cutoff = new Date(now.getTime() - maxAgeMs).toISOString();
  // Inputs of the runs going that no run staying refers to (the owner's own runs only: each owner
  // keeps its own copy).
  const { results: orphans } = await db
    .prepare(
      `SELECT DISTINCT i.owner, i.digest FROM run_inputs i JOIN runs r ON r.id = i.run_id
       WHERE r.created_at < ?1 AND NOT EXISTS (
         SELECT 1 FROM run_inputs j JOIN runs s ON s.id = j.run_id
         WHERE j.owner = i.owner AND j.digest = i.digest AND s.created_at >= ?1)`,
    )
    .bind(cutoff)
    .all<{ owner: string; digest: string }>();
  const [, runs] = await db.batch([
    db
      .prepare("DELETE FROM run_inputs WHERE run_id IN (SELECT id FROM runs WHERE created_at < ?)")
      .bind(cutoff),
    db.prepare("DELETE FROM runs WHERE created_at < ?").bind(cutoff),
  ]);
  const keys = await Promise.all(
    orphans.map(async ({ owner, digest }) => inputObjectKey(await tenantTag(owner), digest)),
  );
  // R2 deletes at most 1,000 keys a call.
  for (let i = 0; i < keys.length; i += 1000) await images.delete(keys.slice(i, i + 1000));
  return runs?.meta.changes ?? 0;
}

/**
 * The id of the scope's experiment `name`, made on first use (a run joins an experiment by naming it).
 *
 * @example
 * const id = await experimentId(env.DB, { teamId }, "sampler sweep", keyId);
 */
export async function experimentId(
  db: D1Database,
  scope: RunScope,
  name: string,
  actor: string,
): Promise<string> {
  const owner = ownerOf(scope);
  const row = await db
    .prepare(
      `INSERT INTO experiments (id, owner, name, created_at, created_by) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (owner, name) DO UPDATE SET name = excluded.name RETURNING id`,
    )
    .bind(
      `exp_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`,
      owner,
      name,
      new Date().toISOString(),
      actor,
    )
    .first<{ id: string }>();
  if (!row) throw new Error(`Experiment '${name}' was not written.`);
  return row.id;
}

/** The scope's experiments, newest first, each with how many runs it holds. */
export async function listExperiments(
  db: D1Database,
  scope: RunScope,
): Promise<Array<{ id: string; name: string; created_at: string; created_by: string; runs: number }>> {
  const { results } = await db
    .prepare(
      `SELECT e.id, e.name, e.created_at, e.created_by, COUNT(r.id) AS runs FROM experiments e
       LEFT JOIN runs r ON r.experiment_id = e.id WHERE e.owner = ? GROUP BY e.id ORDER BY e.created_at DESC`,
    )
    .bind(ownerOf(scope))
    .all<{ id: string; name: string; created_at: string; created_by: string; runs: number }>();
  return results;
}

/**
 * Sets what people say of one of the scope's runs (each field given replaces the old); `null` when
 * the scope has no such run.
 *
 * @example
 * await annotateRun(env.DB, { teamId }, "req_…", { rating: 5, tags: ["keeper"] });
 */
export async function annotateRun(
  db: D1Database,
  scope: RunScope,
  id: string,
  notes: { notes?: string | undefined; tags?: string[] | undefined; rating?: number | null | undefined },
): Promise<StoredRun | null> {
  const sets: string[] = [];
  const binds: unknown[] = [];
  if (notes.notes !== undefined) {
    sets.push("notes = ?");
    binds.push(notes.notes);
  }
  if (notes.tags !== undefined) {
    sets.push("tags = ?");
    binds.push(JSON.stringify([...new Set(notes.tags)]));
  }
  if (notes.rating !== undefined) {
    sets.push("rating = ?");
    binds.push(notes.rating);
  }
  const owned = "teamId" in scope ? "team_id = ?" : "key_id = ?";
  const updated = await db
    .prepare(`UPDATE runs SET ${sets.join(", ")} WHERE id = ? AND ${owned} RETURNING id`)
    .bind(...binds, id, "teamId" in scope ? scope.teamId : scope.keyId)
    .first<{ id: string }>();
  if (!updated) return null;
  return db.prepare(`SELECT ${READ_COLUMNS} FROM ${READ_FROM} WHERE r.id = ?`).bind(id).first<StoredRun>();
}

/**
 * The scope's runs among `ids` (each at most once; an id that is not the scope's is left out), in no
 * particular order.
 *
 * @example
 * const [run] = await readRuns(env.DB, { teamId }, ["req_…"]);
 */
export async function readRuns(
  db: D1Database,
  scope: RunScope,
  ids: readonly string[],
): Promise<StoredRun[]> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return [];
  const owned = "teamId" in scope ? "r.team_id = ?" : "r.key_id = ?";
  const { results } = await db
    .prepare(
      `SELECT ${READ_COLUMNS} FROM ${READ_FROM}
       WHERE r.id IN (${unique.map(() => "?").join(", ")}) AND ${owned}`,
    )
    .bind(...unique, "teamId" in scope ? scope.teamId : scope.keyId)
    .all<StoredRun>();
  return results;
}
