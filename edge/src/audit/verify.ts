import type { AuditLog } from "./audit-log.ts";
import { AUDIT_LOG_NAME } from "./audit-log.ts";
import { type AuditRow, type ChainBreak, type ChainHead, ChainVerifier } from "./chain.ts";

/** Rows read from D1 per query while walking the chain. */
export const VERIFY_PAGE_ROWS = 500;

export interface ChainReport {
  ok: boolean;
  rows_checked: number;
  /** The head the AuditLog object remembers committing. */
  head: ChainHead;
  /** The first row where the chain does not hold; `null` when it holds. */
  first_broken: (ChainBreak & { message: string }) | null;
}

const MESSAGES: Record<ChainBreak["reason"], string> = {
  gap: "A row is missing: the sequence jumps here.",
  prev_hash_mismatch: "This row does not point at the hash of the row before it.",
  hash_mismatch: "This row's content does not match its hash: it was edited.",
  truncated: "Rows are missing at the end of the log: it is shorter than the head the log remembers.",
};

/** Walks the whole chain in D1 from row 1, recomputing every hash; reports the first broken row. */
export async function verifyAudit(
  db: D1Database,
  auditLog: DurableObjectNamespace<AuditLog>,
): Promise<ChainReport> {
  // The anchor first: rows appended while we walk are then beyond it, never "missing".
  const anchor = await auditLog.getByName(AUDIT_LOG_NAME).anchor();
  const verifier = new ChainVerifier();
  let after = 0;
  let broken: ChainBreak | null = null;
  walk: for (;;) {
    const { results } = await db
      .prepare("SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?")
      .bind(after, VERIFY_PAGE_ROWS)
      .all<AuditRow>();
    for (const row of results) {
      broken = await verifier.push(row);
      if (broken) break walk;
      after = row.seq;
    }
    if (results.length < VERIFY_PAGE_ROWS) break;
  }
  broken ??= verifier.finish(anchor);
  return {
    ok: broken === null,
    rows_checked: verifier.rowsChecked,
    head: anchor,
    first_broken: broken && { ...broken, message: MESSAGES[broken.reason] },
  };
}
