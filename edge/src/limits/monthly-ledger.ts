import { monthOf } from "../budgets/month.ts";

/** A monthly budget: its credits and the share of them (percent) whose use sends an alert. */
export interface MonthlyBudget {
  credits: number;
  softPercent: number;
}

/** The credits past which `budget`'s soft alert goes out; `null` for a budget of nothing (it only refuses). */
export function softThresholdOf(budget: MonthlyBudget): number | null {
  if (budget.credits === 0) return null;
  return Math.max(1, Math.ceil((budget.credits * budget.softPercent) / 100));
}

// Its own table, so that objects created before monthly budgets keep the rest of their storage as is.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS monthly (
  one INTEGER PRIMARY KEY CHECK (one = 1),
  month TEXT NOT NULL,
  spent INTEGER NOT NULL,
  soft_alerted INTEGER NOT NULL,
  exhausted_alerted INTEGER NOT NULL
);
`;

type Row = { month: string; spent: number; soft_alerted: number; exhausted_alerted: number };

/**
 * What one budget (a key's, a team's) charged in the current UTC month, and which of the month's two
 * alerts it has raised, in its Durable Object's SQLite (written through on every change). Charges of
 * generations admitted in an earlier month belong to that month, which is closed: they are not counted.
 *
 * @example
 * const ledger = new MonthlyLedger(ctx.storage.sql);
 * const crossed = ledger.charge(reservation.createdMs, 200, now, { credits: 10_000, softPercent: 80 });
 */
export class MonthlyLedger {
  readonly #sql: SqlStorage;
  #month = "";
  #spent = 0;
  #softAlerted = false;
  #exhaustedAlerted = false;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    sql.exec(SCHEMA);
    const row = sql.exec<Row>("SELECT * FROM monthly WHERE one = 1").toArray()[0];
    if (row) {
      this.#month = row.month;
      this.#spent = row.spent;
      this.#softAlerted = row.soft_alerted === 1;
      this.#exhaustedAlerted = row.exhausted_alerted === 1;
    }
  }

  /** Credits charged in the month of `nowMs`. */
  spent(nowMs: number): number {
    this.#roll(nowMs);
    return this.#spent;
  }

  /**
   * Counts `credits` charged for a generation admitted at `reservedMs`. Answers whether the month's
   * soft alert of `budget` is due now: its threshold reached and no alert raised yet this month
   * (raising it is the caller's; the ledger marks it raised).
   */
  charge(reservedMs: number, credits: number, nowMs: number, budget: MonthlyBudget | null): boolean {
    this.#roll(nowMs);
    if (credits > 0 && monthOf(reservedMs) === this.#month) {
      this.#spent += credits;
      this.#save();
    }
    if (budget === null || this.#softAlerted) return false;
    const threshold = softThresholdOf(budget);
    if (threshold === null || this.#spent < threshold) return false;
    this.#softAlerted = true;
    this.#save();
    return true;
  }

  /** Whether this is the month's first refusal by the budget (its alert then due); marks it seen. */
  firstRefusal(nowMs: number): boolean {
    this.#roll(nowMs);
    if (this.#exhaustedAlerted) return false;
    this.#exhaustedAlerted = true;
    this.#save();
    return true;
  }

  #roll(nowMs: number): void {
    const month = monthOf(nowMs);
    if (month === this.#month) return;
    this.#month = month;
    this.#spent = 0;
    this.#softAlerted = false;
    this.#exhaustedAlerted = false;
    this.#save();
  }

  #save(): void {
    this.#sql.exec(
      `INSERT INTO monthly (one, month, spent, soft_alerted, exhausted_alerted) VALUES (1, ?, ?, ?, ?)
       ON CONFLICT (one) DO UPDATE SET month = excluded.month, spent = excluded.spent,
         soft_alerted = excluded.soft_alerted, exhausted_alerted = excluded.exhausted_alerted`,
      this.#month,
      this.#spent,
      this.#softAlerted ? 1 : 0,
      this.#exhaustedAlerted ? 1 : 0,
    );
  }
}
