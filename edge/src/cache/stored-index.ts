import { DEFAULT_CACHE_RETENTION_DAYS } from "../retention.ts";

/**
 * How much earlier than R2's lifecycle rule an entry is forgotten. R2 deletes an object at the
 * earliest its retention after it was written (in practice within a day after), and the index marks
 * it only once the write returned, so this margin only has to cover clocks that disagree.
 */
export const INDEX_EXPIRY_MARGIN_MS = 3_600_000;
/** How often at most a shard deletes its expired entries (reads skip them anyway). */
export const INDEX_PRUNE_EVERY_MS = 3_600_000;

const DAY_MS = 86_400_000;

/**
 * Which cache keys of one coalescer shard have a generation in R2, in the shard's own SQLite storage.
 * The shard sees every leader's result stored, so it can answer "is this stored?" in the same call
 * that coalesces, and a miss costs no R2 or Cache API lookup at all (see `GenerationCoalescer.lookup`).
 *
 * It is an index, not the record: R2 is. A key is marked only after its R2 write succeeded, so a
 * "stored" answer whose R2 object is gone (deleted, or never written by this shard) is caught by the
 * reader and the key forgotten; a key stored without the index knowing (an entry written before the
 * index existed, or an index lost with its object's storage) reads as absent and is generated again,
 * which costs one backend job and then is indexed. SQLite storage is synchronous, so these calls never
 * let another request in between.
 *
 * Entries expire with R2's lifecycle rule (`SDGATE_CACHE_RETENTION_DAYS` after the write, which the
 * deploy sets from the same setting): an entry older than `maxAgeMs` less {@link INDEX_EXPIRY_MARGIN_MS}
 * reads as absent, so the index does not send readers to objects R2 has deleted, and such entries are
 * deleted from the shard's storage at most every {@link INDEX_PRUNE_EVERY_MS}, so it does not grow
 * without bound. A generation stored again (a refresh, or after expiry) is a new R2 object and a new
 * entry, both counting from then.
 */
export class StoredIndex {
  readonly #sql: SqlStorage;
  readonly #liveMs: number;
  #prunedAtMs = 0;

  /** `maxAgeMs`: the cache retention, `config.retention.cacheMs`. */
  constructor(sql: SqlStorage, maxAgeMs: number = DEFAULT_CACHE_RETENTION_DAYS * DAY_MS) {
    this.#sql = sql;
    this.#liveMs = Math.max(0, maxAgeMs - INDEX_EXPIRY_MARGIN_MS);
    sql.exec("CREATE TABLE IF NOT EXISTS stored (cache_key TEXT PRIMARY KEY, stored_ms INTEGER NOT NULL)");
    sql.exec("CREATE INDEX IF NOT EXISTS stored_by_time ON stored (stored_ms)");
  }

  has(cacheKey: string, nowMs: number = Date.now()): boolean {
    return (
      this.#sql
        .exec("SELECT 1 FROM stored WHERE cache_key = ? AND stored_ms > ?", cacheKey, nowMs - this.#liveMs)
        .toArray().length > 0
    );
  }

  mark(cacheKey: string, nowMs: number): void {
    this.#sql.exec(
      "INSERT INTO stored (cache_key, stored_ms) VALUES (?, ?) ON CONFLICT (cache_key) DO UPDATE SET stored_ms = excluded.stored_ms",
      cacheKey,
      nowMs,
    );
    this.#prune(nowMs);
  }

  forget(cacheKey: string): void {
    this.#sql.exec("DELETE FROM stored WHERE cache_key = ?", cacheKey);
  }

  /** Entries kept, expired ones included until the next prune (for tests and operators). */
  size(): number {
    return this.#sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM stored").one().n;
  }

  #prune(nowMs: number): void {
    if (nowMs - this.#prunedAtMs < INDEX_PRUNE_EVERY_MS) return;
    this.#prunedAtMs = nowMs;
    this.#sql.exec("DELETE FROM stored WHERE stored_ms <= ?", nowMs - this.#liveMs);
  }
}
