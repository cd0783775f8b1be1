import type { AuditPage } from "@sdgate/shared";
import type { StoredAuditRow } from "./chain.ts";

// The contract's columns: D1's `entry_id` (the id that makes a delivery idempotent) stays internal.
const COLUMNS =
  "seq, at, actor, action, key_id, request_hash, backend, status, latency_ms, cost, detail, prev_hash, hash";

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
  const sql = `SELECT ${COLUMNS} FROM audit_log ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY seq DESC LIMIT ?`;
  const { results } = await db
    .prepare(sql)
    .bind(...bindings, query.limit + 1)
    .all<StoredAuditRow>();
  const page = results.slice(0, query.limit);
  return {
    object: "list",
    data: page.map((row) => ({
      ...row,
      detail: row.detail === null ? null : (JSON.parse(row.detail) as unknown),
    })),
    next_before: results.length > query.limit ? (page.at(-1)?.seq ?? null) : null,
  };
}
