import { DurableObject } from "cloudflare:workers";
import { log } from "../log.ts";
import { type AuditEntry, type ChainHead, chainRow, GENESIS_HEAD, type StoredAuditRow } from "./chain.ts";

/** The most rows written to D1 in one batch (one transaction); also under D1's 100 bound parameters per query. */
export const MAX_APPEND_BATCH = 50;

/** The one instance's name: there is one chain. */
export const AUDIT_LOG_NAME = "audit";

/** How long the ids of entries handed over by outboxes are remembered, to drop a sender's repeat. */
export const RECEIVED_IDS_RETENTION_MS = 3_600_000;

/** After D1 refused a batch, the queue is tried again after this, doubling up to {@link MAX_RETRY_MS}. */
export const FIRST_RETRY_MS = 1_000;
export const MAX_RETRY_MS = 60_000;

/** The bindings an {@link AuditLog} uses: D1, where the chain is written. */
export interface AuditLogBindings {
  DB: D1Database;
}

/** An entry with the id that makes its delivery idempotent (an outbox row's id, or a fresh one). */
export interface IdentifiedEntry {
  id: string;
  entry: AuditEntry;
}

const INSERT = `INSERT INTO audit_log
  (seq, at, actor, action, key_id, request_hash, backend, status, latency_ms, cost, detail, prev_hash, hash, entry_id)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

// `queue` holds every accepted entry until D1 has it, so an entry accepted is never lost: not when D1
// fails, not when this object restarts. `received` remembers recent ids so a repeat is dropped early;
// D1's unique `entry_id` is the final word (see `#dropCommitted`).
const SCHEMA = `
CREATE TABLE IF NOT EXISTS head (one INTEGER PRIMARY KEY CHECK (one = 1), seq INTEGER NOT NULL, hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS queue (n INTEGER PRIMARY KEY AUTOINCREMENT, entry_id TEXT NOT NULL UNIQUE, entry TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS received (entry_id TEXT PRIMARY KEY, at_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS received_by_time ON received (at_ms);
`;

/** How often at most the received ids are pruned. */
const PRUNE_EVERY_MS = 60_000;

type QueuedRow = { n: number; entry_id: string; entry: string };

/**
 * The single writer of the audit chain in D1. An entry is first written to this object's own storage
 * (its queue), then chained and written to D1 in order, a batch at a time, each batch one D1
 * transaction; so the chain never forks, however many Workers append at once (`UNIQUE(prev_hash)` in
 * D1 would refuse a fork anyway). When D1 fails, the queue stays and an alarm tries again: an accepted
 * entry is written exactly once, whatever fails, since each carries an id that D1 keeps unique. It
 * also keeps the head it last wrote, so deleting the newest rows shows.
 *
 * @example
 * const row = await env.AUDIT_LOG.getByName(AUDIT_LOG_NAME).append(entry);
 */
export class AuditLog extends DurableObject<AuditLogBindings> {
  #head: ChainHead | null = null;
  #draining: Promise<void> | null = null;
  #retryMs = FIRST_RETRY_MS;
  #prunedAtMs = 0;
  readonly #waiting = new Map<string, (row: StoredAuditRow | null) => void>();

  constructor(ctx: DurableObjectState, env: AuditLogBindings) {
    super(ctx, env);
    ctx.storage.sql.exec(SCHEMA);
    // Entries left by an instance that died mid-write are written (or found in D1) by the next one.
    if (this.pending() > 0) void ctx.storage.setAlarm(Date.now());
  }

  /**
   * Chains `entry` after the current head and writes it to D1; resolves with the row once it is
   * committed, or with `null` when D1 failed: the entry is then kept and written by a later try.
   */
  async append(entry: AuditEntry): Promise<StoredAuditRow | null> {
    const [row] = await this.appendAll([entry]);
    return row ?? null;
  }

  /**
   * Appends `entries` in order, all queued before the write starts so they share one D1 batch (up to
   * {@link MAX_APPEND_BATCH}); resolves once each is committed (its row) or kept for a retry (`null`).
   */
  async appendAll(entries: AuditEntry[]): Promise<Array<StoredAuditRow | null>> {
    const identified = entries.map((entry) => ({ id: `ent_${crypto.randomUUID()}`, entry }));
    const rows = identified.map(
      ({ id }) => new Promise<StoredAuditRow | null>((r) => this.#waiting.set(id, r)),
    );
    this.#enqueue(identified);
    this.#startDrain();
    return Promise.all(rows);
  }

  /**
   * Takes entries from an outbox (a key's `KeyState`): they are in this object's storage when this
   * returns, so the sender may forget them. An id seen before is dropped, so a sender that retries
   * after a lost answer writes nothing twice. Returns how many were new.
   */
  accept(entries: IdentifiedEntry[]): number {
    const accepted = this.#enqueue(entries);
    this.#startDrain();
    return accepted;
  }

  /** The last row this log committed ({@link GENESIS_HEAD} before the first). */
  anchor(): ChainHead {
    return this.#storedAnchor() ?? GENESIS_HEAD;
  }

  /** Entries accepted and not yet in D1 (for tests and operators). */
  pending(): number {
    return this.ctx.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM queue").one().n;
  }

  /** A retry of the queue after D1 failed. */
  override async alarm(): Promise<void> {
    this.#startDrain();
    await this.#draining;
  }

  #enqueue(entries: IdentifiedEntry[]): number {
    const sql = this.ctx.storage.sql;
    const nowMs = Date.now();
    if (nowMs - this.#prunedAtMs >= PRUNE_EVERY_MS) {
      this.#prunedAtMs = nowMs;
      sql.exec("DELETE FROM received WHERE at_ms < ?", nowMs - RECEIVED_IDS_RETENTION_MS);
    }
    let accepted = 0;
    for (const { id, entry } of entries) {
      const seen = sql.exec("SELECT 1 FROM received WHERE entry_id = ?", id).toArray().length > 0;
      if (seen) continue;
      sql.exec("INSERT INTO received (entry_id, at_ms) VALUES (?, ?)", id, nowMs);
      sql.exec("INSERT INTO queue (entry_id, entry) VALUES (?, ?)", id, JSON.stringify(entry));
      accepted++;
    }
    return accepted;
  }

  #startDrain(): void {
    this.#draining ??= this.#drain().finally(() => {
      this.#draining = null;
    });
  }

  async #drain(): Promise<void> {
    const sql = this.ctx.storage.sql;
    for (;;) {
      const batch = sql
        .exec<QueuedRow>("SELECT n, entry_id, entry FROM queue ORDER BY n LIMIT ?", MAX_APPEND_BATCH)
        .toArray();
      if (batch.length === 0) return;
      try {
        if (this.#head === null) {
          this.#head = await this.#loadHead();
          // After a failure or a restart, D1 may hold rows whose queue entries were not yet removed.
          if (await this.#dropCommitted(batch)) continue;
        }
        let head = this.#head;
        const rows: StoredAuditRow[] = [];
        for (const queued of batch) {
          const row = await chainRow(head, JSON.parse(queued.entry) as AuditEntry);
          rows.push(row);
          head = row;
        }
        await this.env.DB.batch(rows.map((row, i) => this.#insert(row, (batch[i] as QueuedRow).entry_id)));
        this.#head = { seq: head.seq, hash: head.hash };
        sql.exec(
          "INSERT INTO head (one, seq, hash) VALUES (1, ?, ?) ON CONFLICT (one) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
          head.seq,
          head.hash,
        );
        sql.exec("DELETE FROM queue WHERE n <= ?", (batch.at(-1) as QueuedRow).n);
        this.#retryMs = FIRST_RETRY_MS;
        for (const [i, queued] of batch.entries()) this.#settle(queued.entry_id, rows[i] as StoredAuditRow);
      } catch (error) {
        // Re-read the head (and what D1 has) before the next try: D1 is the record of what was committed.
        this.#head = null;
        log.error("audit write failed; kept for a retry", {
          pending: batch.length,
          error: error instanceof Error ? error.message : "unknown",
        });
        for (const queued of batch) this.#settle(queued.entry_id, null);
        await this.ctx.storage.setAlarm(Date.now() + this.#retryMs);
        this.#retryMs = Math.min(MAX_RETRY_MS, this.#retryMs * 2);
        return;
      }
    }
  }

  // Removes from the queue the entries D1 already has; whether it removed any.
  async #dropCommitted(batch: QueuedRow[]): Promise<boolean> {
    const ids = batch.map((queued) => queued.entry_id);
    const { results } = await this.env.DB.prepare(
      `SELECT entry_id FROM audit_log WHERE entry_id IN (${ids.map(() => "?").join(", ")})`,
    )
      .bind(...ids)
      .all<{ entry_id: string }>();
    for (const { entry_id } of results) {
      this.ctx.storage.sql.exec("DELETE FROM queue WHERE entry_id = ?", entry_id);
      this.#settle(entry_id, null);
    }
    return results.length > 0;
  }

  #settle(entryId: string, row: StoredAuditRow | null): void {
    this.#waiting.get(entryId)?.(row);
    this.#waiting.delete(entryId);
  }

  // The head to chain after: what this object last committed, or D1's newest row if that is newer
  // (a batch committed just before this object was restarted). Rows deleted at the end of the chain
  // are not forgotten: the next row still points at the remembered head, and verification shows the gap.
  async #loadHead(): Promise<ChainHead> {
    const anchor = this.#storedAnchor();
    const tail = await this.env.DB.prepare(
      "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
    ).first<ChainHead>();
    if (tail && (!anchor || tail.seq > anchor.seq)) return { seq: tail.seq, hash: tail.hash };
    return anchor ?? GENESIS_HEAD;
  }

  #storedAnchor(): ChainHead | null {
    return (
      this.ctx.storage.sql.exec<{ seq: number; hash: string }>("SELECT seq, hash FROM head").toArray()[0] ??
      null
    );
  }

  #insert(row: StoredAuditRow, entryId: string): D1PreparedStatement {
    return this.env.DB.prepare(INSERT).bind(
      row.seq,
      row.at,
      row.actor,
      row.action,
      row.key_id,
      row.request_hash,
      row.backend,
      row.status,
      row.latency_ms,
      row.cost,
      row.detail,
      row.prev_hash,
      row.hash,
      entryId,
    );
  }
}
