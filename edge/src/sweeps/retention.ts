/**
 * Deletes sweeps, and their cells, that finished before `maxAgeMs` ago: the run history's retention
 * (`SDGATE_AUDIT_RETENTION_DAYS`), by which every run they made is gone too. A sweep not finished
 * (a cell still waiting or running) is never deleted; a resume un-finishes one.
 *
 * @example
 * const deleted = await pruneSweeps(env.DB, config.retention.auditMs);
 */
export async function pruneSweeps(db: D1Database, maxAgeMs: number, now = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - maxAgeMs).toISOString();
  const [, sweeps] = await db.batch([
    db
      .prepare("DELETE FROM sweep_cells WHERE sweep_id IN (SELECT id FROM sweeps WHERE finished_at < ?)")
      .bind(cutoff),
    db.prepare("DELETE FROM sweeps WHERE finished_at < ?").bind(cutoff),
  ]);
  return sweeps?.meta.changes ?? 0;
}
