import type { SweepActor } from "./acting-key.ts";
import { CLAIM_LEASE_MS } from "./store.ts";

/** A sweep the driver may advance: not finished, not cancelled, with cells waiting to be submitted. */
export interface DrivableSweep {
  id: string;
  experiment: string | null;
  actor: SweepActor;
}

/**
 * Up to `limit` sweeps with cells waiting (never submitted, or a lapsed claim), the least recently
 * driven first, so one sweep whose key stays at its limits does not hold the others back. Sweeps made
 * before migration 0022 know no key to act as: a resume gives them one.
 */
export async function sweepsToDrive(db: D1Database, nowMs: number, limit: number): Promise<DrivableSweep[]> {
  const lapsed = new Date(nowMs - CLAIM_LEASE_MS).toISOString();
  const { results } = await db
    .prepare(
      `SELECT s.id, s.experiment, s.acting_key_hash, s.acting_ip, s.acting_origin FROM sweeps s
       WHERE s.finished_at IS NULL AND s.cancelled_at IS NULL
         AND s.acting_key_hash IS NOT NULL AND s.acting_origin IS NOT NULL
         AND EXISTS (
           SELECT 1 FROM sweep_cells c WHERE c.sweep_id = s.id
             AND (c.state = 'pending' OR (c.state = 'submitting' AND c.claimed_at < ?))
         )
       ORDER BY s.driven_at, s.created_at LIMIT ?`,
    )
    .bind(lapsed, limit)
    .all<{
      id: string;
      experiment: string | null;
      acting_key_hash: string;
      acting_ip: string | null;
      acting_origin: string;
    }>();
  return results.map((row) => ({
    id: row.id,
    experiment: row.experiment,
    actor: { keyHash: row.acting_key_hash, ip: row.acting_ip, origin: row.acting_origin },
  }));
}

/** Notes the driver's turn on the sweep (see {@link sweepsToDrive}'s order). */
export async function markDriven(db: D1Database, sweepId: string, at: Date): Promise<void> {
  await db.prepare("UPDATE sweeps SET driven_at = ? WHERE id = ?").bind(at.toISOString(), sweepId).run();
}

/**
 * Marks finished every sweep whose cells are all settled: none waiting or being submitted, and each
 * submitted one's run recorded (a run is written as its job ends). Returns how many it marked.
 */
export async function finishSettledSweeps(db: D1Database, at: Date): Promise<number> {
  const result = await db
    .prepare(
      `UPDATE sweeps SET finished_at = ? WHERE finished_at IS NULL AND NOT EXISTS (
         SELECT 1 FROM sweep_cells c WHERE c.sweep_id = sweeps.id AND (
           c.state IN ('pending', 'submitting')
           OR (c.state = 'submitted' AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = c.job_id))
         )
       )`,
    )
    .bind(at.toISOString())
    .run();
  return result.meta.changes;
}
