import type { AuditPage } from "@sdgate/shared";
import type { StoredAuditRow } from "./chain.ts";

// The contract's columns: D1's `entry_id` (the id that makes a delivery idempotent) stays internal.
const COLUMNS =
  "seq, at, actor, action, key_id, request_hash, backend, status, latency_ms, cost, detail, prev_hash, hash";

/** The fields of a row's `detail` that name what an admin action was about (`target`), beside `key_id`. */
const TARGET_FIELDS = ["team_id", "user_id", "model_id", "evaluation_id", "promotion_id"] as const;

/** What `listAudit` filters by; each one given narrows the rows. */
export interface AuditFilters {
  keyId?: string;
  /** One action (`key.create`), or every action of a kind by its prefix ending in a dot (`key.`). */
  action?: string;
  /** As rows name actors (`user:usr_…`, a key id), or the email a person's rows recorded. */
  actor?: string;
  /** A key id, or a team, person, model, evaluation or promotion id a row's detail recorded. */
  target?: string;
  /** ISO 8601 UTC: rows at or after it. */
  from?: string;
  /** ISO 8601 UTC: rows before it. */
  to?: string;
}

/** A field of a row's `detail`, as SQL; `NULL` where the detail is not JSON (so one odd row fails no query). */
const detailField = (field: string) =>
  `CASE WHEN json_valid(detail) THEN json_extract(detail, '$.${field}') END`;

/**
 * The first text after every text that starts with `prefix`: its last character, one higher (`key.` →
 * `key/`). SQLite compares text byte by byte (BINARY), so `[prefix, this)` holds exactly the texts
 * that start with `prefix`, a range an index on `action` can seek.
 */
function afterPrefix(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

/**
 * The filters as SQL over `audit_log`, written so that migration 0024's indexes serve them. Times
 * compare as the ISO 8601 UTC text the log stores; an action's prefix is matched as a range, never as
 * a pattern. The target filter's OR over JSON detail fields uses no index: it scans (newest first).
 */
function auditWhere(filters: AuditFilters): { where: string[]; bindings: Array<string | number> } {
  const where: string[] = [];
  const bindings: Array<string | number> = [];
  if (filters.keyId !== undefined) {
    where.push("key_id = ?");
    bindings.push(filters.keyId);
  }
  if (filters.action?.endsWith(".")) {
    where.push("action >= ? AND action < ?");
    bindings.push(filters.action, afterPrefix(filters.action));
  } else if (filters.action !== undefined) {
    where.push("action = ?");
    bindings.push(filters.action);
  }
  if (filters.actor !== undefined) {
    // Each side has its own index (actor; the detail's actor_email as this exact expression), so
    // SQLite answers the OR from both; written otherwise, the expression would not match its index.
    where.push(`(actor = ? OR ${detailField("actor_email")} = ?)`);
    bindings.push(filters.actor, filters.actor);
  }
  if (filters.target !== undefined) {
    const fields = TARGET_FIELDS.map((field) => `${detailField(field)} = ?`);
    where.push(`(key_id = ? OR ${fields.join(" OR ")})`);
    bindings.push(filters.target, ...TARGET_FIELDS.map(() => filters.target as string));
  }
  if (filters.from !== undefined) {
    where.push("at >= ?");
    bindings.push(filters.from);
  }
  if (filters.to !== undefined) {
    where.push("at < ?");
    bindings.push(filters.to);
  }
  return { where, bindings };
}

/** A page of the audit listing, as it is read. */
export interface AuditQuery {
  filters: AuditFilters;
  limit: number;
  before: number | null;
}

/** The SQL and bindings `listAudit` runs for `query` (one row past the page, to tell if more follow). */
export function auditListSql(query: AuditQuery): { sql: string; bindings: Array<string | number> } {
  const { where, bindings } = auditWhere(query.filters);
  if (query.before !== null) {
    where.push("seq < ?");
    bindings.push(query.before);
  }
  const sql = `SELECT ${COLUMNS} FROM audit_log ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY seq DESC LIMIT ?`;
  return { sql, bindings: [...bindings, query.limit + 1] };
}

/**
 * Audit rows newest first, `limit` at a time, only those that pass `filters` (applied before the page
 * is cut, so a page is full unless the log ends); `before` is the `seq` to continue below.
 */
export async function listAudit(db: D1Database, query: AuditQuery): Promise<AuditPage> {
  const { sql, bindings } = auditListSql(query);
  const { results } = await db
    .prepare(sql)
    .bind(...bindings)
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
