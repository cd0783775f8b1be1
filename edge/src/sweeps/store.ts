import type { SweepCell, SweepCellStatus } from "@sdgate/shared";
import { ownerOf, RUN_TABLE_COLUMNS, type RunScope, type StoredRun } from "../runs/store.ts";

/** A sweep as D1 keeps it (migrations 0017 and 0022). */
export interface SweepRow {
  id: string;
  owner: string;
  key_id: string;
  team_id: string | null;
  name: string;
  created_at: string;
  /** JSON: the base request. */
  request: string;
  /** JSON: the axes. */
  axes: string;
  experiment: string | null;
  cells: number;
  credits: number;
  gpu_seconds: number;
  cancelled_at: string | null;
  /** The key that drives it (migration 0022): its secret's SHA-256, address and origin; `null` before. */
  acting_key_hash: string | null;
  acting_ip: string | null;
  acting_origin: string | null;
  driven_at: string | null;
  /** When every cell was settled; `null` while any still has something coming. */
  finished_at: string | null;
}

/** Who drives a sweep: the key of the request that created or last resumed it, as that request came. */
export type ActingKey = Pick<SweepRow, "acting_key_hash" | "acting_ip" | "acting_origin">;

export type CellState = "pending" | "submitting" | "submitted" | "refused" | "cancelled";

/** A cell as D1 keeps it, with the run its job left (`run_*`: null while it runs or before it is submitted). */
export interface CellRow {
  idx: number;
  coordinates: string;
  request: string;
  state: CellState;
  job_id: string | null;
  job_key_id: string | null;
  error_code: string | null;
  run: StoredRun | null;
}

/** A submission's claim on a cell lapses after this: the request that made it is gone. */
export const CLAIM_LEASE_MS = 60_000;

/**
 * Stores a new sweep and its cells, every cell `pending`, in one batch.
 *
 * @example
 * await insertSweep(env.DB, { teamId: "team_1" }, row, cells);
 */
export async function insertSweep(
  db: D1Database,
  sweep: Omit<SweepRow, "owner" | "cancelled_at" | "driven_at" | "finished_at">,
  scope: RunScope,
  cells: readonly SweepCell[],
): Promise<void> {
  const columns = Object.keys(sweep);
  const statements = [
    db
      .prepare(
        `INSERT INTO sweeps (owner, ${columns.join(", ")}) VALUES (?, ${columns.map(() => "?").join(", ")})`,
      )
      .bind(ownerOf(scope), ...Object.values(sweep)),
    ...cells.map((cell) =>
      db
        .prepare(
          "INSERT INTO sweep_cells (sweep_id, idx, coordinates, request, state) VALUES (?, ?, ?, ?, 'pending')",
        )
        .bind(sweep.id, cell.index, JSON.stringify(cell.coordinates), JSON.stringify(cell.request)),
    ),
  ];
  await db.batch(statements);
}

/** The sweep `id` if `scope` owns it, else `null` (another team's sweep is as absent as none). */
export async function readSweep(db: D1Database, scope: RunScope, id: string): Promise<SweepRow | null> {
  return db
    .prepare("SELECT * FROM sweeps WHERE id = ? AND owner = ?")
    .bind(id, ownerOf(scope))
    .first<SweepRow>();
}

/** The sweep's cells in grid order, each with the run its job left. */
export async function readCells(db: D1Database, sweepId: string): Promise<CellRow[]> {
  const runColumns = RUN_TABLE_COLUMNS.split(", ")
    .map((column) => `r.${column} AS run_${column}`)
    .join(", ");
  const { results } = await db
    .prepare(
      `SELECT c.idx, c.coordinates, c.request, c.state, c.job_id, c.job_key_id, c.error_code, e.name AS run_experiment, k.created_by_user_id AS run_person, COALESCE(u.name, u.email) AS run_person_name, k.name AS run_key_name, ${runColumns}
       FROM sweep_cells c LEFT JOIN runs r ON c.state = 'submitted' AND r.id = c.job_id
       LEFT JOIN experiments e ON e.id = r.experiment_id LEFT JOIN api_keys k ON k.id = r.key_id
       LEFT JOIN users u ON u.id = k.created_by_user_id
       WHERE c.sweep_id = ? ORDER BY c.idx`,
    )
    .bind(sweepId)
    .all<Record<string, unknown>>();
  return results.map((row) => {
    const run: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(row)) if (name.startsWith("run_")) run[name.slice(4)] = value;
    return {
      idx: row.idx as number,
      coordinates: row.coordinates as string,
      request: row.request as string,
      state: row.state as CellState,
      job_id: row.job_id as string | null,
      job_key_id: row.job_key_id as string | null,
      error_code: row.error_code as string | null,
      run: run.id === null || run.id === undefined ? null : (run as unknown as StoredRun),
    };
  });
}

/** How a cell stands, from its state and its run. */
export function cellStatus(cell: Pick<CellRow, "state" | "run">): SweepCellStatus {
  switch (cell.state) {
    case "pending":
    case "submitting":
      return "pending";
    case "refused":
      return "failed";
    case "cancelled":
      return "cancelled";
    case "submitted":
      return cell.run?.status ?? "running";
  }
}

/** The team's sweeps (or the key's own), newest first. */
export async function listSweepRows(db: D1Database, scope: RunScope, limit: number): Promise<SweepRow[]> {
  const { results } = await db
    .prepare("SELECT * FROM sweeps WHERE owner = ? ORDER BY created_at DESC, id DESC LIMIT ?")
    .bind(ownerOf(scope), limit)
    .all<SweepRow>();
  return results;
}

/** How many cells of each sweep stand how (`state` and its run's status), for lists. */
export async function countCells(
  db: D1Database,
  sweepIds: readonly string[],
): Promise<Map<string, Array<{ state: CellState; status: string | null; count: number }>>> {
  const counts = new Map<string, Array<{ state: CellState; status: string | null; count: number }>>();
  if (sweepIds.length === 0) return counts;
  const { results } = await db
    .prepare(
      `SELECT c.sweep_id, c.state, r.status, COUNT(*) AS count FROM sweep_cells c
       LEFT JOIN runs r ON c.state = 'submitted' AND r.id = c.job_id
       WHERE c.sweep_id IN (${sweepIds.map(() => "?").join(", ")}) GROUP BY c.sweep_id, c.state, r.status`,
    )
    .bind(...sweepIds)
    .all<{ sweep_id: string; state: CellState; status: string | null; count: number }>();
  for (const row of results) {
    const list = counts.get(row.sweep_id) ?? [];
    list.push({ state: row.state, status: row.status, count: row.count });
    counts.set(row.sweep_id, list);
  }
  return counts;
}

/**
 * Which cells a claim takes. `resume`: every cell that may be submitted (never started, refused,
 * cancelled before it ran, or whose job failed or was cancelled; a lapsed claim too). `waiting`: only
 * those never started (and lapsed claims) of a sweep not cancelled, which the driver submits.
 */
export type ClaimScope = "resume" | "waiting";

const CLAIMABLE: Record<ClaimScope, string> = {
  resume: `state IN ('pending', 'refused', 'cancelled')
    OR (state = 'submitting' AND claimed_at < ?3)
    OR (state = 'submitted' AND job_id IN (SELECT id FROM runs WHERE status IN ('failed', 'cancelled')))`,
  waiting: `(state = 'pending' OR (state = 'submitting' AND claimed_at < ?3))
    AND NOT EXISTS (SELECT 1 FROM sweeps WHERE id = ?2 AND cancelled_at IS NOT NULL)`,
};

/**
 * Claims up to `limit` (`null`: all) of the sweep's cells that `scope` takes, in grid order, so two
 * submissions (two resumes, a resume and the driver) never submit one cell twice: the claim is one
 * statement. Finished and running cells are never claimed.
 */
export async function claimCells(
  db: D1Database,
  sweepId: string,
  nowMs: number,
  claim: { scope: ClaimScope; limit: number | null } = { scope: "resume", limit: null },
): Promise<Array<{ idx: number; request: string }>> {
  const lapsed = new Date(nowMs - CLAIM_LEASE_MS).toISOString();
  const { results } = await db
    .prepare(
      `UPDATE sweep_cells SET state = 'submitting', claimed_at = ?1
       WHERE sweep_id = ?2 AND idx IN (
         SELECT idx FROM sweep_cells WHERE sweep_id = ?2 AND (${CLAIMABLE[claim.scope]}) ORDER BY idx LIMIT ?4
       ) RETURNING idx, request`,
    )
    .bind(new Date(nowMs).toISOString(), sweepId, lapsed, claim.limit ?? -1)
    .all<{ idx: number; request: string }>();
  return results.sort((a, b) => a.idx - b.idx);
}

/** What a submission did to one claimed cell. */
export type CellOutcome =
  | { idx: number; state: "submitted"; jobId: string; keyId: string }
  | { idx: number; state: "refused" | "pending"; errorCode: string | null };

/** Records what each claimed cell's submission did, in one batch. */
export async function settleClaims(db: D1Database, sweepId: string, outcomes: readonly CellOutcome[]) {
  if (outcomes.length === 0) return;
  await db.batch(
    outcomes.map((outcome) =>
      db
        .prepare(
          "UPDATE sweep_cells SET state = ?, job_id = ?, job_key_id = ?, error_code = ?, claimed_at = NULL WHERE sweep_id = ? AND idx = ?",
        )
        .bind(
          outcome.state,
          outcome.state === "submitted" ? outcome.jobId : null,
          outcome.state === "submitted" ? outcome.keyId : null,
          outcome.state === "submitted" ? null : outcome.errorCode,
          sweepId,
          outcome.idx,
        ),
    ),
  );
}

/** Stops the sweep's cells still waiting: `refused` with `errorCode` (the key's or its budget's refusal). */
export async function stopWaitingCells(db: D1Database, sweepId: string, errorCode: string): Promise<void> {
  await db
    .prepare(
      "UPDATE sweep_cells SET state = 'refused', error_code = ? WHERE sweep_id = ? AND state = 'pending'",
    )
    .bind(errorCode, sweepId)
    .run();
}

/** Marks a sweep cancelled, and its cells not yet submitted cancelled. */
export async function markCancelled(db: D1Database, sweepId: string, at: string): Promise<void> {
  await db.batch([
    db.prepare("UPDATE sweeps SET cancelled_at = ? WHERE id = ?").bind(at, sweepId),
    db
      .prepare("UPDATE sweep_cells SET state = 'cancelled' WHERE sweep_id = ? AND state = 'pending'")
      .bind(sweepId),
  ]);
}

/** Clears a sweep's cancellation and its end; from now on the driver acts as `acting`. */
export async function markResumed(db: D1Database, sweepId: string, acting: ActingKey): Promise<void> {
  await db
    .prepare(
      "UPDATE sweeps SET cancelled_at = NULL, finished_at = NULL, acting_key_hash = ?, acting_ip = ?, acting_origin = ? WHERE id = ?",
    )
    .bind(acting.acting_key_hash, acting.acting_ip, acting.acting_origin, sweepId)
    .run();
}
