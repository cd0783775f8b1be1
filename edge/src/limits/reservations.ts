import type { GenerationContext } from "../audit/outbox.ts";

/** Credits held for a generation from its admission until it is settled (or its lease ends). */
export interface Reservation {
  cost: number;
  createdMs: number;
  /** What the audit row of its generation needs; `null` for reservations made without one. */
  context: GenerationContext | null;
}

// `reservation_context` is its own table so that objects created before it keep their reservations.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS reservations (id TEXT PRIMARY KEY, cost INTEGER NOT NULL, created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS reservation_context (id TEXT PRIMARY KEY, context TEXT NOT NULL);
`;

/**
 * A key's open reservations, in memory and in its Durable Object's SQLite (written through on every
 * change, so a restarted object holds exactly what was reserved).
 *
 * @example
 * const book = new ReservationBook(ctx.storage.sql);
 * const id = book.add(200, context, Date.now());
 * const reservation = book.take(id);
 */
export class ReservationBook {
  readonly #sql: SqlStorage;
  readonly #open = new Map<string, Reservation>();

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    sql.exec(SCHEMA);
    const rows = sql.exec<{ id: string; cost: number; created_ms: number; context: string | null }>(
      "SELECT r.*, c.context FROM reservations r LEFT JOIN reservation_context c ON c.id = r.id",
    );
    for (const row of rows) {
      const context = row.context === null ? null : (JSON.parse(row.context) as GenerationContext);
      this.#open.set(row.id, { cost: row.cost, createdMs: row.created_ms, context });
    }
  }

  /** Generations in flight. */
  get size(): number {
    return this.#open.size;
  }

  /** Credits held by every open reservation. */
  get total(): number {
    let total = 0;
    for (const reservation of this.#open.values()) total += reservation.cost;
    return total;
  }

  /** Credits held by the open reservations made at or after `sinceMs` (a month's, for its budget). */
  totalSince(sinceMs: number): number {
    let total = 0;
    for (const reservation of this.#open.values())
      if (reservation.createdMs >= sinceMs) total += reservation.cost;
    return total;
  }

  /** Whether the reservation `id` is open. */
  has(id: string): boolean {
    return this.#open.has(id);
  }

  /** Opens a reservation (under `id`, when another ledger named it first); returns its id. */
  add(
    cost: number,
    context: GenerationContext | null,
    nowMs: number,
    id: string = crypto.randomUUID(),
  ): string {
    const kept = context === null ? null : { requestHash: context.requestHash, requestId: context.requestId };
    this.#open.set(id, { cost, createdMs: nowMs, context: kept });
    this.#sql.exec("INSERT INTO reservations (id, cost, created_ms) VALUES (?, ?, ?)", id, cost, nowMs);
    if (kept !== null) {
      this.#sql.exec("INSERT INTO reservation_context (id, context) VALUES (?, ?)", id, JSON.stringify(kept));
    }
    return id;
  }

  /** Closes a reservation and returns it; `undefined` for an unknown or already closed id. */
  take(id: string): Reservation | undefined {
    const reservation = this.#open.get(id);
    if (reservation === undefined) return undefined;
    this.#open.delete(id);
    this.#sql.exec("DELETE FROM reservations WHERE id = ?", id);
    this.#sql.exec("DELETE FROM reservation_context WHERE id = ?", id);
    return reservation;
  }

  /** Closes and returns every reservation opened `leaseMs` or longer before `nowMs`, with its id. */
  takeExpired(nowMs: number, leaseMs: number): Array<Reservation & { id: string }> {
    const expired: Array<Reservation & { id: string }> = [];
    for (const [id, reservation] of this.#open) {
      if (nowMs - reservation.createdMs >= leaseMs) expired.push({ ...(this.take(id) as Reservation), id });
    }
    return expired;
  }

  /** When the oldest open reservation's lease ends; `null` with none open. */
  nextExpiryMs(leaseMs: number): number | null {
    let earliest: number | null = null;
    for (const { createdMs } of this.#open.values()) {
      if (earliest === null || createdMs + leaseMs < earliest) earliest = createdMs + leaseMs;
    }
    return earliest;
  }
}
