import type { AuditRow } from "./chain.ts";

export interface AuditPage {
  data: Array<Omit<AuditRow, "detail"> & { detail: unknown }>;
  /** Pass as `before` for the next (older) page; `null` on the last page. */
  next_before: number | null;
}

/**
 * Audit rows newest first, `limit` at a time, optionally only those about one key; `before` is the
 * `seq` to continue below.
 */
export async function listAudit(
  db: D1Database,
  query: { keyId: string | null; limit: number; before: number | null },
): Promise<AuditPage> {
  const where: string[] = [];
  const bindings: Array<string | number> = [];
  if (query.keyId !== null) {
    where.push("key_id = ?");
    bindings.push(query.keyId);
  }
  if (query.before !== null) {
    where.push("seq < ?");
    bindings.push(query.before);
  }
  const sql = `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY seq DESC LIMIT ?`;
  const { results } = await db
    .prepare(sql)
    .bind(...bindings, query.limit + 1)
    .all<AuditRow>();
  const page = results.slice(0, query.limit);
  return {
    data: page.map((row) => ({
      ...row,
      detail: row.detail === null ? null : (JSON.parse(row.detail) as unknown),
    })),
    next_before: results.length > query.limit ? (page.at(-1)?.seq ?? null) : null,
  };
}
