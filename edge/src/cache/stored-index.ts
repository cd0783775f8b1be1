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
 */
export class StoredIndex {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    sql.exec("CREATE TABLE IF NOT EXISTS stored (cache_key TEXT PRIMARY KEY, stored_ms INTEGER NOT NULL)");
  }

  has(cacheKey: string): boolean {
    return this.#sql.exec("SELECT 1 FROM stored WHERE cache_key = ?", cacheKey).toArray().length > 0;
  }

  mark(cacheKey: string, nowMs: number): void {
    this.#sql.exec(
      "INSERT INTO stored (cache_key, stored_ms) VALUES (?, ?) ON CONFLICT (cache_key) DO UPDATE SET stored_ms = excluded.stored_ms",
      cacheKey,
      nowMs,
    );
  }

  forget(cacheKey: string): void {
    this.#sql.exec("DELETE FROM stored WHERE cache_key = ?", cacheKey);
  }
}
