import { DurableObject } from "cloudflare:workers";
import type { BudgetAlert, BudgetUsage } from "@sdgate/shared";
import { RESERVATION_LEASE_MS } from "../limits/key-state.ts";
import { type MonthlyBudget, MonthlyLedger } from "../limits/monthly-ledger.ts";
import { ReservationBook } from "../limits/reservations.ts";
import { log } from "../log.ts";
import { checkWebhookUrl } from "../webhooks/url.ts";
import { type AlertFacts, budgetAlert, budgetAlertSecret } from "./alert.ts";
import { AlertOutbox, type AlertTarget } from "./alert-outbox.ts";
import { monthOf, monthStartMs, nextMonthStartMs, secondsUntilNextMonth } from "./month.ts";

/** A team's budget as its object enforces it (pushed by `setTeamBudget` from D1's `budgets`). */
export interface TeamBudgetConfig {
  teamId: string;
  /** For people: messages and alerts name the team by it. */
  teamName: string;
  /** `null`: no limit; spending is still counted, and keys' own alerts still go out. */
  monthlyCredits: number | null;
  softPercent: number;
  alertWebhookUrl: string | null;
}

/** The team's budget, when a reservation would take it past its monthly credits. */
export interface TeamRefusal {
  teamId: string;
  teamName: string;
  credits: number;
  remaining: number;
  resetsAtMs: number;
  retryAfterS: number;
}

export type TeamReservation = { ok: true } | { ok: false; refusal: TeamRefusal };

/** The bindings a {@link TeamBudget} uses: the webhook secret its alerts are signed with. */
export interface TeamBudgetBindings {
  SDGATE_WEBHOOK_SECRET?: string;
  SDGATE_WEBHOOK_ALLOW_LOOPBACK?: string;
}

/**
 * A team's reservation that no key settled (its key's object lost) is charged in full after this: a
 * minute past the key's own lease, so the key's object, which charges it at its lease, speaks first.
 */
export const TEAM_RESERVATION_LEASE_MS = RESERVATION_LEASE_MS + 60_000;

const CONFIG_SCHEMA =
  "CREATE TABLE IF NOT EXISTS config (one INTEGER PRIMARY KEY CHECK (one = 1), json TEXT NOT NULL);";

/**
 * One per team (named by the team id): the team's monthly credits, shared by all its keys. A key's
 * `KeyState` reserves here after its own admission (and gives its own back if the team refuses), and
 * forwards each settlement, so the team's ledger is exact like the key's: SQLite-backed storage is
 * synchronous, and no two reservations interleave. Alerts (soft threshold crossed, first refusal of
 * the month, and the team's keys' own) are delivered from its alarm.
 *
 * @example
 * const reservation = await env.TEAM_BUDGET.getByName(teamId).reserve(reservationId, keyId, 200);
 */
export class TeamBudget extends DurableObject<TeamBudgetBindings> {
  /** The clock; tests replace it through `runInDurableObject`. */
  now: () => number = () => Date.now();

  #config: TeamBudgetConfig | null = null;
  /** When the alarm is set for, as far as this instance knows. */
  #alarmAtMs: number | null = null;
  readonly #reservations: ReservationBook;
  readonly #monthly: MonthlyLedger;
  readonly #alerts: AlertOutbox;

  constructor(ctx: DurableObjectState, env: TeamBudgetBindings) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    sql.exec(CONFIG_SCHEMA);
    this.#reservations = new ReservationBook(sql);
    this.#monthly = new MonthlyLedger(sql);
    this.#alerts = new AlertOutbox(sql);
    const row = sql.exec<{ json: string }>("SELECT json FROM config WHERE one = 1").toArray()[0];
    if (row) this.#config = JSON.parse(row.json) as TeamBudgetConfig;
    void ctx.blockConcurrencyWhile(async () => {
      this.#alarmAtMs = await ctx.storage.getAlarm();
    });
  }

  /** Replaces the budget, effective from the next reservation; what was spent this month carries over. */
  configure(config: TeamBudgetConfig): void {
    this.#config = config;
    this.ctx.storage.sql.exec(
      "INSERT INTO config (one, json) VALUES (1, ?) ON CONFLICT (one) DO UPDATE SET json = excluded.json",
      JSON.stringify(config),
    );
  }

  /**
   * Holds `cost` credits of this month for the key's reservation `reservationId` (the same id in both
   * ledgers), or refuses when the team's monthly credits would be passed; the month's first refusal
   * raises the `budget.exhausted` alert. Asking again for a reservation held is answered `ok`.
   */
  reserve(reservationId: string, keyId: string, cost: number): TeamReservation {
    const nowMs = this.now();
    this.#expire(nowMs);
    if (this.#reservations.has(reservationId)) return { ok: true };
    const config = this.#config;
    const budget = this.#budget();
    const used = this.#used(nowMs);
    if (config !== null && budget !== null && used + cost > budget.credits) {
      if (this.#monthly.firstRefusal(nowMs)) this.#raise("budget.exhausted", keyId, nowMs);
      return {
        ok: false,
        refusal: {
          teamId: config.teamId,
          teamName: config.teamName,
          credits: budget.credits,
          remaining: Math.max(0, budget.credits - used),
          resetsAtMs: nextMonthStartMs(nowMs),
          retryAfterS: secondsUntilNextMonth(nowMs),
        },
      };
    }
    this.#reservations.add(cost, null, nowMs, reservationId);
    this.#wake(nowMs + TEAM_RESERVATION_LEASE_MS);
    return { ok: true };
  }

  /**
   * Ends a reservation, charging `charged` credits (0 refunds it) to the month it was made in; unknown
   * or settled ids are ignored, so a settlement forwarded twice charges once. Crossing the soft
   * threshold raises the month's `budget.soft_limit` alert, naming `keyId`.
   */
  settle(reservationId: string, keyId: string, charged: number): void {
    const reservation = this.#reservations.take(reservationId);
    if (!reservation) return;
    const nowMs = this.now();
    const credits = Math.max(0, Math.ceil(charged));
    if (this.#monthly.charge(reservation.createdMs, credits, nowMs, this.#budget()))
      this.#raise("budget.soft_limit", keyId, nowMs);
  }

  /** Queues an alert about one of the team's keys' own budgets for this team's alert URL, naming the team. */
  forwardAlert(facts: AlertFacts): void {
    const nowMs = this.now();
    this.#alerts.add(budgetAlert({ ...facts, teamName: this.#config?.teamName ?? null }), nowMs);
    this.#wake(nowMs);
  }

  /** The budget and where this month stands. */
  usage(): { config: TeamBudgetConfig | null; usage: BudgetUsage } {
    const nowMs = this.now();
    this.#expire(nowMs);
    const budget = this.#budget();
    const spent = this.#monthly.spent(nowMs);
    const reserved = this.#reservations.totalSince(monthStartMs(nowMs));
    return {
      config: this.#config,
      usage: {
        month: monthOf(nowMs),
        spent,
        reserved,
        remaining: budget === null ? null : Math.max(0, budget.credits - spent - reserved),
        resets_at: new Date(nextMonthStartMs(nowMs)).toISOString(),
      },
    };
  }

  /** Alerts waiting for delivery. */
  pendingAlerts(): number {
    return this.#alerts.size;
  }

  /** Charges reservations past their lease, delivers the alerts due, then sets the alarm for what is next. */
  override async alarm(): Promise<void> {
    this.#alarmAtMs = null;
    const nowMs = this.now();
    this.#expire(nowMs);
    await this.#alerts.deliverDue(await this.#target(), nowMs);
    const due = [this.#alerts.nextDueMs(), this.#reservations.nextExpiryMs(TEAM_RESERVATION_LEASE_MS)].filter(
      (atMs): atMs is number => atMs !== null,
    );
    if (due.length > 0) this.#wake(Math.min(...due));
  }

  #budget(): MonthlyBudget | null {
    const config = this.#config;
    if (config === null || config.monthlyCredits === null) return null;
    return { credits: config.monthlyCredits, softPercent: config.softPercent };
  }

  #used(nowMs: number): number {
    return this.#monthly.spent(nowMs) + this.#reservations.totalSince(monthStartMs(nowMs));
  }

  #raise(type: BudgetAlert["type"], keyId: string | null, nowMs: number): void {
    const config = this.#config;
    const budget = this.#budget();
    if (config === null || budget === null) return;
    const facts = {
      teamId: config.teamId,
      teamName: config.teamName,
      keyId,
      softPercent: budget.softPercent,
    };
    const spent = this.#monthly.spent(nowMs);
    this.#alerts.add(
      budgetAlert({ ...facts, type, budget: "team", limit: budget.credits, spent, nowMs }),
      nowMs,
    );
    this.#wake(nowMs);
  }

  // The URL is checked again at each delivery: the server's rules (loopback in development) may
  // have changed since it was set.
  async #target(): Promise<AlertTarget> {
    const url = this.#config?.alertWebhookUrl ?? null;
    const serverSecret = this.env.SDGATE_WEBHOOK_SECRET;
    if (url === null || this.#config === null) return null;
    if (serverSecret === undefined || serverSecret === "") {
      log.error("budget alerts cannot be signed: SDGATE_WEBHOOK_SECRET is unset", {
        team_id: this.#config.teamId,
      });
      return null;
    }
    try {
      const checked = checkWebhookUrl(url, {
        allowLoopback: this.env.SDGATE_WEBHOOK_ALLOW_LOOPBACK === "true",
      });
      if (checked === null) return null;
      return { url: checked, secret: await budgetAlertSecret(serverSecret, this.#config.teamId) };
    } catch {
      log.warn("a budget's alert URL is no longer allowed; alerts dropped", { team_id: this.#config.teamId });
      return null;
    }
  }

  #expire(nowMs: number): void {
    for (const reservation of this.#reservations.takeExpired(nowMs, TEAM_RESERVATION_LEASE_MS)) {
      if (this.#monthly.charge(reservation.createdMs, reservation.cost, nowMs, this.#budget()))
        this.#raise("budget.soft_limit", null, nowMs);
    }
  }

  // One alarm serves every later task, moved earlier when one is due sooner (as in `KeyState`).
  #wake(atMs: number): void {
    if (this.#alarmAtMs !== null && this.#alarmAtMs <= atMs) return;
    this.#alarmAtMs = atMs;
    void this.ctx.storage.setAlarm(atMs);
  }
}
