import { canonicalJson } from "@sdgate/shared";
import type { AuditLog } from "./audit-log.ts";
import type { AuditEntry } from "./chain.ts";

type Detail = Record<string, string | number | boolean | null>;

/** What the route knows of a generation when it is admitted: kept with its reservation. */
export interface GenerationContext {
  /** `requestHash()` of the resolved request. */
  requestHash: string;
  requestId: string;
}

/** How a generation ended, as its settlement reports it. */
export interface GenerationEnd {
  /** The HTTP status the client got (`null`: unknown, the reservation lapsed). */
  status: number | null;
  /** The backend that answered, or `null`. */
  backend: string | null;
  latencyMs: number | null;
  /** e.g. `{ cache: "MISS", job_id }`; never secrets or prompts. */
  detail?: Detail;
}

/** Rows handed to the `AuditLog` per call. */
export const OUTBOX_BATCH = 100;

/**
 * A Durable Object's outbox of audit entries, in its own SQLite: written in the same synchronous step
 * as the change it records (a `KeyState` settling a reservation writes the generation's row with the
 * credits it charged), then handed to the `AuditLog` until it takes them. So usage read from the audit
 * log equals what the ledger charged, and a row is lost neither when the Worker that settled goes away
 * nor when D1 or the `AuditLog` fail for a while.
 *
 * @example
 * const outbox = new AuditOutbox(ctx.storage.sql);
 * outbox.addGeneration(keyId, context, { status: 200, backend, latencyMs }, charged);
 * await outbox.flushTo(env.AUDIT_LOG.getByName(AUDIT_LOG_NAME));
 */
export class AuditOutbox {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    sql.exec(
      "CREATE TABLE IF NOT EXISTS outbox (id TEXT PRIMARY KEY, entry TEXT NOT NULL, created_ms INTEGER NOT NULL)",
    );
  }

  /** A generation's row, charged `cost` credits, acted by the key `keyId`. */
  addGeneration(keyId: string, context: GenerationContext | null, end: GenerationEnd, cost: number): void {
    this.#add({
      at: new Date().toISOString(),
      actor: keyId,
      action: "generation",
      key_id: keyId,
      request_hash: context?.requestHash ?? null,
      backend: end.backend,
      status: end.status,
      latency_ms: end.latencyMs === null ? null : Math.round(end.latencyMs),
      cost,
      detail: canonicalJson({ request_id: context?.requestId ?? null, ...end.detail }),
    });
  }

  get size(): number {
    return this.#sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox").one().n;
  }

  /**
   * Hands the oldest rows to `auditLog` and forgets them once it has them (it drops ids it has seen,
   * so a repeat after a lost answer writes nothing twice). Returns how many rows are left; throws
   * when the `AuditLog` cannot be reached (the rows stay).
   */
  async flushTo(auditLog: Pick<DurableObjectStub<AuditLog>, "accept">): Promise<number> {
    const rows = this.#sql
      .exec<{ id: string; entry: string }>(
        "SELECT id, entry FROM outbox ORDER BY created_ms, id LIMIT ?",
        OUTBOX_BATCH,
      )
      .toArray();
    if (rows.length === 0) return 0;
    await auditLog.accept(rows.map((row) => ({ id: row.id, entry: JSON.parse(row.entry) as AuditEntry })));
    for (const row of rows) this.#sql.exec("DELETE FROM outbox WHERE id = ?", row.id);
    return this.size;
  }

  #add(entry: AuditEntry): void {
    this.#sql.exec(
      "INSERT INTO outbox (id, entry, created_ms) VALUES (?, ?, ?)",
      `out_${crypto.randomUUID()}`,
      JSON.stringify(entry),
      Date.now(),
    );
  }
}
