/**
 * Deletes evaluation runs that ended before `maxAgeMs` ago. A run is evidence a promotion may cite, so
 * it is kept as long as the audit log keeps its rows (`SDGATE_AUDIT_RETENTION_DAYS`), not as long as
 * the replay cache; its images go with the IMAGES bucket's lifecycle rule (the cache's retention), after
 * which the run still shows its numbers. A run still queued or running is never deleted.
 *
 * @example
 * const deleted = await pruneEvaluations(env.DB, config.retention.auditMs);
 */
export async function pruneEvaluations(db: D1Database, maxAgeMs: number, now = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - maxAgeMs).toISOString();
  const result = await db
    .prepare("DELETE FROM evaluation_runs WHERE updated_at < ? AND status IN ('succeeded', 'failed')")
    .bind(cutoff)
    .run();
  return result.meta.changes;
}
