import { type AuditCheckpoint, canonicalJson } from "@sdgate/shared";
import { log } from "../log.ts";
import { AUDIT_LOG_NAME, type AuditLog } from "./audit-log.ts";
import {
  type AuditEntry,
  type ChainHead,
  ChainVerifier,
  GENESIS_HEAD,
  type StoredAuditRow,
} from "./chain.ts";

/** Rows deleted per D1 transaction. */
export const PRUNE_BATCH_ROWS = 5_000;
/** Batches per cron run: the most one run deletes is their product, so a backlog drains over runs. */
export const MAX_PRUNE_BATCHES = 20;
/** The action of the row that attests each checkpoint, in the chain itself. */
export const PRUNE_ACTION = "audit.prune";

// The checkpoint (D1 `audit_checkpoint`) is the contract's `AuditCheckpoint`: the verify report shows it as stored.

export interface PruneResult {
  rowsDeleted: number;
  checkpoint: AuditCheckpoint | null;
  /** Why pruning stopped before the cutoff: the rows to delete do not verify, or the attestation was not written. */
  stopped: "chain_broken" | "attestation_failed" | null;
}

/** The retention checkpoint, or `null` while nothing was ever pruned. */
export async function auditCheckpoint(db: D1Database): Promise<AuditCheckpoint | null> {
  return db
    .prepare("SELECT seq, hash, at, pruned_at FROM audit_checkpoint WHERE one = 1")
    .first<AuditCheckpoint>();
}

/**
 * The `audit.prune` row that attests `checkpoint`, if the chain has one. The checkpoint lives in D1
 * like the rows; this row, chained after it, is what makes moving it by hand show.
 */
export async function attestationOf(db: D1Database, checkpoint: ChainHead): Promise<number | null> {
  const row = await db
    .prepare(
      `SELECT seq FROM audit_log WHERE action = ? AND seq > ?
         AND json_extract(detail, '$.through_seq') = ? AND json_extract(detail, '$.through_hash') = ?
       ORDER BY seq LIMIT 1`,
    )
    .bind(PRUNE_ACTION, checkpoint.seq, checkpoint.seq, checkpoint.hash)
    .first<{ seq: number }>();
  return row?.seq ?? null;
}

const UPSERT_CHECKPOINT = `INSERT INTO audit_checkpoint (one, seq, hash, at, pruned_at) VALUES (1, ?, ?, ?, ?)
  ON CONFLICT (one) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, at = excluded.at, pruned_at = excluded.pruned_at
  WHERE excluded.seq > audit_checkpoint.seq`;

function attestation(last: StoredAuditRow, cutoffIso: string, rows: number, nowIso: string): AuditEntry {
  return {
    at: nowIso,
    actor: "retention",
    action: PRUNE_ACTION,
    key_id: null,
    request_hash: null,
    backend: null,
    status: null,
    latency_ms: null,
    cost: null,
    detail: canonicalJson({ through_seq: last.seq, through_hash: last.hash, older_than: cutoffIso, rows }),
  };
}

/**
 * Deletes the audit rows older than `retentionMs`, oldest first, leaving a checkpoint that
 * verification starts from. Per batch: the rows about to go are verified from the checkpoint (a
 * broken chain is evidence, so it is never deleted: pruning stops and says so), an `audit.prune` row
 * naming the new checkpoint is appended to the chain, then the checkpoint moves and the rows go in
 * one D1 transaction. Only a prefix of old rows is deleted: a row is kept while an older-`seq` row is
 * still young (entries handed over late by an outbox carry their own `at`). The checkpoint only moves
 * forward, so two runs at once cannot undo each other.
 *
 * @example
 * await pruneAudit({ db: env.DB, auditLog: env.AUDIT_LOG }, 400 * 86_400_000);
 */
export async function pruneAudit(
  target: { db: D1Database; auditLog: DurableObjectNamespace<AuditLog> },
  retentionMs: number,
  options: { nowMs?: number; batchRows?: number; maxBatches?: number } = {},
): Promise<PruneResult> {
  const { db } = target;
  const { nowMs = Date.now(), batchRows = PRUNE_BATCH_ROWS, maxBatches = MAX_PRUNE_BATCHES } = options;
  const cutoffIso = new Date(nowMs - retentionMs).toISOString();
  const nowIso = new Date(nowMs).toISOString();
  let checkpoint = await auditCheckpoint(db);
  let rowsDeleted = 0;
  for (let batch = 0; batch < maxBatches; batch++) {
    const from: ChainHead = checkpoint ?? GENESIS_HEAD;
    // One row's read answers the usual case (nothing old enough) before a batch is read.
    const oldest = await db
      .prepare("SELECT at FROM audit_log WHERE seq > ? ORDER BY seq LIMIT 1")
      .bind(from.seq)
      .first<{ at: string }>();
    if (oldest === null || oldest.at >= cutoffIso) break;
    const { results } = await db
      .prepare("SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?")
      .bind(from.seq, batchRows)
      .all<StoredAuditRow>();
    const young = results.findIndex((row) => row.at >= cutoffIso);
    const old = young === -1 ? results : results.slice(0, young);
    const verifier = new ChainVerifier(from);
    for (const row of old) {
      const broken = await verifier.push(row);
      if (broken) {
        log.error("audit pruning stopped: the rows it would delete do not verify", {
          seq: broken.seq,
          reason: broken.reason,
        });
        return { rowsDeleted, checkpoint, stopped: "chain_broken" };
      }
    }
    const last = old.at(-1) as StoredAuditRow;
    const attested = await target.auditLog
      .getByName(AUDIT_LOG_NAME)
      .append(attestation(last, cutoffIso, old.length, nowIso));
    if (attested === null) return { rowsDeleted, checkpoint, stopped: "attestation_failed" };
    await db.batch([
      db.prepare(UPSERT_CHECKPOINT).bind(last.seq, last.hash, last.at, nowIso),
      db.prepare("DELETE FROM audit_log WHERE seq <= (SELECT seq FROM audit_checkpoint WHERE one = 1)"),
    ]);
    checkpoint = { seq: last.seq, hash: last.hash, at: last.at, pruned_at: nowIso };
    rowsDeleted += old.length;
    if (young !== -1 || results.length < batchRows) break;
  }
  return { rowsDeleted, checkpoint, stopped: null };
}
