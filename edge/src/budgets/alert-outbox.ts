import type { BudgetAlert } from "@sdgate/shared";
import { log } from "../log.ts";
import { type Delivery, deliverWebhook, nextWebhookAttemptMs } from "../webhooks/deliver.ts";
import { alertMessageId } from "./alert.ts";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS alerts (
  id TEXT PRIMARY KEY,
  body TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  next_at_ms INTEGER NOT NULL
);
`;

type Row = { id: string; body: string; attempts: number; next_at_ms: number };

/** Where alerts go and what signs them; `null` when the budget sends none (no URL, no server secret). */
export type AlertTarget = { url: string; secret: string } | null;

/**
 * Budget alerts waiting to be delivered, in a Durable Object's SQLite, so an alert raised survives a
 * restart and is retried on the job webhooks' schedule (`WEBHOOK_RETRY_DELAYS_MS`) until a 2xx.
 *
 * @example
 * outbox.add(alert, now);
 * await outbox.deliverDue(await target(), now);
 */
export class AlertOutbox {
  readonly #sql: SqlStorage;
  readonly #send: (delivery: Delivery) => Promise<{ ok: boolean; status: number | null }>;

  constructor(
    sql: SqlStorage,
    send: (delivery: Delivery) => Promise<{ ok: boolean; status: number | null }> = deliverWebhook,
  ) {
    this.#sql = sql;
    this.#send = send;
    sql.exec(SCHEMA);
  }

  /** Queues `alert` for delivery now; the same month's same alert queued twice is sent once. */
  add(alert: BudgetAlert, nowMs: number): void {
    this.#sql.exec(
      "INSERT OR IGNORE INTO alerts (id, body, attempts, next_at_ms) VALUES (?, ?, 0, ?)",
      alertMessageId(alert),
      JSON.stringify(alert),
      nowMs,
    );
  }

  /** When the next delivery is due; `null` with none waiting. */
  nextDueMs(): number | null {
    const row = this.#sql.exec<{ at: number | null }>("SELECT MIN(next_at_ms) AS at FROM alerts").one();
    return row.at;
  }

  /** Alerts waiting. */
  get size(): number {
    return this.#sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM alerts").one().n;
  }

  /**
   * Delivers every alert due by `nowMs` to `target`; one that fails waits for its next attempt, and
   * after the last it is given up. Without a target the alerts due are dropped: nobody asked for them.
   */
  async deliverDue(target: AlertTarget, nowMs: number): Promise<void> {
    const due = this.#sql
      .exec<Row>("SELECT * FROM alerts WHERE next_at_ms <= ? ORDER BY next_at_ms", nowMs)
      .toArray();
    for (const row of due) {
      if (target === null) {
        this.#sql.exec("DELETE FROM alerts WHERE id = ?", row.id);
        continue;
      }
      const { ok, status } = await this.#send({
        url: target.url,
        messageId: row.id,
        body: row.body,
        secret: target.secret,
      });
      const attempts = row.attempts + 1;
      const nextAtMs = ok ? null : nextWebhookAttemptMs(attempts, nowMs);
      if (nextAtMs === null) {
        this.#sql.exec("DELETE FROM alerts WHERE id = ?", row.id);
        if (!ok) log.warn("budget alert given up", { message_id: row.id, attempts, status });
      } else {
        this.#sql.exec(
          "UPDATE alerts SET attempts = ?, next_at_ms = ? WHERE id = ?",
          attempts,
          nextAtMs,
          row.id,
        );
        log.warn("budget alert delivery failed", { message_id: row.id, attempt: attempts, status });
      }
    }
  }
}
