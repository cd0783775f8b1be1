import {
  type AuditCheckpoint,
  type ChainBreakReason,
  type ChainReport,
  DEFAULT_VERIFY_ROWS,
  MAX_VERIFY_ROWS,
} from "@sdgate/shared";
import type { AuditLog } from "./audit-log.ts";
import { AUDIT_LOG_NAME } from "./audit-log.ts";
import { type ChainHead, ChainVerifier, GENESIS_HEAD, type StoredAuditRow } from "./chain.ts";
import { attestationOf, auditCheckpoint } from "./retention.ts";

/** Rows read from D1 per query while walking the chain. */
export const VERIFY_PAGE_ROWS = 500;
/** Why verification stopped: a break in the chain, or a retention checkpoint the chain does not attest. */
export type VerifyBreak = { seq: number; reason: ChainBreakReason };

const MESSAGES: Record<VerifyBreak["reason"], string> = {
  gap: "A row is missing: the sequence jumps here.",
  prev_hash_mismatch: "This row does not point at the hash of the row before it.",
  hash_mismatch: "This row's content does not match its hash: it was edited.",
  truncated: "Rows are missing at the end of the log: it is shorter than the head the log remembers.",
  unattested_checkpoint:
    "The chain starts at a retention checkpoint that no audit.prune row attests: rows before it may have been deleted by hand.",
};

/** The cursor names no row and lies beyond the chain: not a cursor a previous page returned. */
export class UnknownCursorError extends Error {
  override readonly name = "UnknownCursorError";
}

/**
 * Where a page starts. The first page, and one whose cursor retention has since pruned past, starts
 * at the checkpoint (genesis before any pruning). Otherwise the row at `afterSeq` is read again from
 * D1: a page never trusts a hash the client hands back.
 */
async function startOf(
  db: D1Database,
  afterSeq: number | null,
  checkpoint: AuditCheckpoint | null,
  anchor: ChainHead,
): Promise<{ from: ChainHead; atCheckpoint: boolean } | { missing: number }> {
  const floor: ChainHead = checkpoint ? { seq: checkpoint.seq, hash: checkpoint.hash } : GENESIS_HEAD;
  if (afterSeq === null || afterSeq <= floor.seq) return { from: floor, atCheckpoint: checkpoint !== null };
  const row = await db
    .prepare("SELECT seq, hash FROM audit_log WHERE seq = ?")
    .bind(afterSeq)
    .first<ChainHead>();
  if (row !== null) return { from: { seq: row.seq, hash: row.hash }, atCheckpoint: false };
  if (afterSeq > anchor.seq) throw new UnknownCursorError(`No audit row ${afterSeq}.`);
  return { missing: afterSeq };
}

/**
 * Walks the chain in D1 from the checkpoint (row 1 before any pruning), or from the row after
 * `afterSeq`, recomputing every hash, for at most `limit` rows; reports the first broken row. The
 * page that reaches the end also checks the chain against the head the `AuditLog` object remembers
 * (rows deleted at the end), and a walk that starts at a checkpoint checks that the chain attests it.
 *
 * @example
 * let page = await verifyAudit(env.DB, env.AUDIT_LOG);
 * while (!page.complete) page = await verifyAudit(env.DB, env.AUDIT_LOG, { afterSeq: page.next_after_seq });
 */
export async function verifyAudit(
  db: D1Database,
  auditLog: DurableObjectNamespace<AuditLog>,
  options: { afterSeq?: number | null; limit?: number } = {},
): Promise<ChainReport> {
  const limit = Math.min(options.limit ?? DEFAULT_VERIFY_ROWS, MAX_VERIFY_ROWS);
  // The anchor first: rows appended while we walk are then beyond it, never "missing".
  const anchor = await auditLog.getByName(AUDIT_LOG_NAME).anchor();
  const checkpoint = await auditCheckpoint(db);
  const start = await startOf(db, options.afterSeq ?? null, checkpoint, anchor);
  const report = (
    from: ChainHead | null,
    verifier: ChainVerifier | null,
    broken: VerifyBreak | null,
    end: boolean,
  ): ChainReport => {
    const complete = end || broken !== null;
    const runningHead = verifier?.head ?? from;
    return {
      ok: complete && broken === null,
      complete,
      rows_checked: verifier?.rowsChecked ?? 0,
      head: anchor,
      checkpoint,
      from,
      running_head: runningHead,
      next_after_seq: complete ? null : (runningHead?.seq ?? null),
      first_broken: broken && { ...broken, message: MESSAGES[broken.reason] },
    };
  };
  // The row a previous page ended on is gone since: that is a gap.
  if ("missing" in start) return report(null, null, { seq: start.missing, reason: "gap" }, true);
  const { from } = start;
  if (start.atCheckpoint && checkpoint && (await attestationOf(db, checkpoint)) === null) {
    return report(from, null, { seq: checkpoint.seq, reason: "unattested_checkpoint" }, true);
  }
  const verifier = new ChainVerifier(from);
  let after = from.seq;
  let broken: VerifyBreak | null = null;
  let end = false;
  while (!broken && verifier.rowsChecked < limit) {
    const want = Math.min(VERIFY_PAGE_ROWS, limit - verifier.rowsChecked);
    const { results } = await db
      .prepare("SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?")
      .bind(after, want)
      .all<StoredAuditRow>();
    for (const row of results) {
      broken = await verifier.push(row);
      if (broken) break;
      after = row.seq;
    }
    if (results.length < want) {
      end = true;
      break;
    }
  }
  // A page that stopped exactly at the last row learns it is the last only on the next one.
  if (end) broken ??= verifier.finish(anchor);
  return report(from, verifier, broken, end);
}
