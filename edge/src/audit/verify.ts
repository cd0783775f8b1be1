import type { AuditLog } from "./audit-log.ts";
import { AUDIT_LOG_NAME } from "./audit-log.ts";
import { type AuditRow, type ChainBreak, type ChainHead, ChainVerifier, GENESIS_HEAD } from "./chain.ts";
import { type AuditCheckpoint, attestationOf, auditCheckpoint } from "./retention.ts";

/** Rows read from D1 per query while walking the chain. */
export const VERIFY_PAGE_ROWS = 500;
/** Rows one request checks unless it asks for fewer (`limit`). */
export const DEFAULT_VERIFY_ROWS = 5_000;
/** The most rows one request checks: each is a SHA-256 of its canonical JSON, so this bounds its CPU time. */
export const MAX_VERIFY_ROWS = 20_000;

/** Why verification stopped: a break in the chain, or a retention checkpoint the chain does not attest. */
export type VerifyBreak = { seq: number; reason: ChainBreak["reason"] | "unattested_checkpoint" };

/** One page of a walk along the chain (`GET /admin/audit/verify?after_seq&limit`). */
export interface ChainReport {
  /** The walk reached the end of the chain and found no break: only ever true on the last page. */
  ok: boolean;
  /** This is the last page: the chain ended here (and was checked against `head`), or it broke. */
  complete: boolean;
  /** Rows checked by this page. */
  rows_checked: number;
  /** The head the AuditLog object remembers committing. */
  head: ChainHead;
  /** Where the chain starts after retention pruned its oldest rows; `null` when nothing was pruned. */
  checkpoint: AuditCheckpoint | null;
  /**
   * The row this page continued from, as read from D1 (the checkpoint, or row 0 at the start);
   * `null` when the row the cursor names is gone.
   */
  from: ChainHead | null;
  /** The last row this page verified (`from` if none): the next page continues from it. */
  running_head: ChainHead | null;
  /** Pass as `after_seq` for the next page; `null` on the last one. */
  next_after_seq: number | null;
  /** The first row where the chain does not hold; `null` when it holds (so far). */
  first_broken: (VerifyBreak & { message: string }) | null;
}

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
      .all<AuditRow>();
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
