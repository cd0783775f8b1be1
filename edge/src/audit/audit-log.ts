import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.ts";
import { type AuditEntry, type AuditRow, type ChainHead, chainRow, GENESIS_HEAD } from "./chain.ts";

/** The most rows written to D1 in one batch (one transaction). */
export const MAX_APPEND_BATCH = 50;

/** The one instance's name: there is one chain. */
export const AUDIT_LOG_NAME = "audit";

interface Pending {
  entry: AuditEntry;
  resolve: (row: AuditRow) => void;
  reject: (error: unknown) => void;
}

const INSERT = `INSERT INTO audit_log
  (seq, at, actor, action, key_id, request_hash, backend, status, latency_ms, cost, detail, prev_hash, hash)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/**
 * The single writer of the audit chain in D1. Appends queue here and are written in order, a batch at
 * a time, each batch one D1 transaction; appends that arrive while one is written go in the next. So
 * the chain never forks, however many Workers append at once (and `UNIQUE(prev_hash)` in D1 would
 * refuse a fork anyway). It also keeps the head it last wrote, so deleting the newest rows shows.
 *
 * @example
 * const row = await env.AUDIT_LOG.getByName(AUDIT_LOG_NAME).append(entry);
 */
export class AuditLog extends DurableObject<Env> {
  #head: ChainHead | null = null;
  readonly #queue: Pending[] = [];
  #writing = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS head (one INTEGER PRIMARY KEY CHECK (one = 1), seq INTEGER NOT NULL, hash TEXT NOT NULL)",
    );
  }

  /** Chains `entry` after the current head and writes it to D1; resolves once it is committed. */
  append(entry: AuditEntry): Promise<AuditRow> {
    const row = this.#enqueue(entry);
    this.#startDrain();
    return row;
  }

  /**
   * Appends `entries` in order (an isolate's batch of generations: one call instead of one each);
   * resolves once all are committed. All are queued before the write starts, so they share one D1
   * batch (up to {@link MAX_APPEND_BATCH}) instead of the first going alone.
   */
  async appendAll(entries: AuditEntry[]): Promise<void> {
    const rows = entries.map((entry) => this.#enqueue(entry));
    this.#startDrain();
    await Promise.all(rows);
  }

  /** The last row this log committed ({@link GENESIS_HEAD} before the first). */
  anchor(): ChainHead {
    return this.#storedAnchor() ?? GENESIS_HEAD;
  }

  #enqueue(entry: AuditEntry): Promise<AuditRow> {
    return new Promise((resolve, reject) => this.#queue.push({ entry, resolve, reject }));
  }

  #startDrain(): void {
    if (!this.#writing) void this.#drain();
  }

  async #drain(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, MAX_APPEND_BATCH);
        try {
          let head = this.#head ?? (await this.#loadHead());
          const rows: AuditRow[] = [];
          for (const pending of batch) {
            const row = await chainRow(head, pending.entry);
            rows.push(row);
            head = row;
          }
          await this.env.DB.batch(rows.map((row) => this.#insert(row)));
          this.#head = { seq: head.seq, hash: head.hash };
          this.ctx.storage.sql.exec(
            "INSERT INTO head (one, seq, hash) VALUES (1, ?, ?) ON CONFLICT (one) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
            head.seq,
            head.hash,
          );
          for (const [i, pending] of batch.entries()) pending.resolve(rows[i] as AuditRow);
        } catch (error) {
          // Re-read the head before the next batch: D1 is the record of what was committed.
          this.#head = null;
          for (const pending of batch) pending.reject(error);
        }
      }
    } finally {
      this.#writing = false;
    }
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

  #insert(row: AuditRow): D1PreparedStatement {
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
    );
  }
}
