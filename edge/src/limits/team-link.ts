import type { AlertFacts } from "../budgets/alert.ts";
import type { TeamBudget } from "../budgets/team-budget.ts";

// The key's team (a row once known, `team_id` NULL for none), which team each open reservation was
// also made with, and what is still to be told to a team: settlements and the key's own alerts.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS team (one INTEGER PRIMARY KEY CHECK (one = 1), team_id TEXT);
CREATE TABLE IF NOT EXISTS team_held (reservation_id TEXT PRIMARY KEY, team_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS team_outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, team_id TEXT NOT NULL, message TEXT NOT NULL);
`;

type Message =
  | { kind: "settle"; reservationId: string; charged: number }
  | { kind: "alert"; facts: AlertFacts };

/**
 * A `KeyState`'s link to its team's `TeamBudget`, in the key object's SQLite: the team it belongs to,
 * the reservations held in the team's ledger too, and an outbox of what the team must still hear, so
 * a settlement reaches the team even when the first try fails (the key's alarm tries again; the team
 * ignores a settlement it has already had).
 *
 * @example
 * const link = new TeamLink(ctx.storage.sql);
 * if (link.settle(reservationId, 200)) await link.flush(keyId, env.TEAM_BUDGET);
 */
export class TeamLink {
  readonly #sql: SqlStorage;
  #known = false;
  #teamId: string | null = null;
  #flushing: Promise<void> | null = null;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    sql.exec(SCHEMA);
    const row = sql.exec<{ team_id: string | null }>("SELECT team_id FROM team WHERE one = 1").toArray()[0];
    if (row) {
      this.#known = true;
      this.#teamId = row.team_id;
    }
  }

  /** Whether the key's team is known (objects made before teams learn it once, from D1). */
  get known(): boolean {
    return this.#known;
  }

  /** The key's team; `null`: none. */
  get teamId(): string | null {
    return this.#teamId;
  }

  /** Records the key's team (`null`: none), for reservations from now on. */
  set(teamId: string | null): void {
    this.#known = true;
    this.#teamId = teamId;
    this.#sql.exec(
      "INSERT INTO team (one, team_id) VALUES (1, ?) ON CONFLICT (one) DO UPDATE SET team_id = excluded.team_id",
      teamId,
    );
  }

  /** Remembers that `reservationId` is held in `teamId`'s ledger too. */
  hold(reservationId: string, teamId: string): void {
    this.#sql.exec("INSERT INTO team_held (reservation_id, team_id) VALUES (?, ?)", reservationId, teamId);
  }

  /** Forgets a hold the team refused (or never heard of): there is nothing to settle there. */
  forget(reservationId: string): void {
    this.#sql.exec("DELETE FROM team_held WHERE reservation_id = ?", reservationId);
  }

  /**
   * Queues the settlement of `reservationId` for its team, if it was held there; answers whether it
   * was (then {@link flush} tells the team).
   */
  settle(reservationId: string, charged: number): boolean {
    const row = this.#sql
      .exec<{ team_id: string }>("SELECT team_id FROM team_held WHERE reservation_id = ?", reservationId)
      .toArray()[0];
    if (!row) return false;
    this.#sql.exec("DELETE FROM team_held WHERE reservation_id = ?", reservationId);
    this.#queue(row.team_id, { kind: "settle", reservationId, charged });
    return true;
  }

  /** Queues one of the key's own budget alerts for its team's alert URL. */
  alert(teamId: string, facts: AlertFacts): void {
    this.#queue(teamId, { kind: "alert", facts });
  }

  /** Messages still to be told to a team. */
  get pending(): number {
    return this.#sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM team_outbox").one().n;
  }

  /**
   * Tells the teams what is queued, oldest first, until the outbox is empty; throws at the first that
   * fails (what is left stays queued). One flush at a time: a second caller waits for the running one,
   * which also sends what was queued while it ran.
   */
  flush(keyId: string, teams: DurableObjectNamespace<TeamBudget>): Promise<void> {
    if (this.#flushing === null) {
      this.#flushing = this.#drain(keyId, teams).finally(() => {
        this.#flushing = null;
      });
    }
    return this.#flushing;
  }

  async #drain(keyId: string, teams: DurableObjectNamespace<TeamBudget>): Promise<void> {
    for (;;) {
      const row = this.#sql
        .exec<{ seq: number; team_id: string; message: string }>(
          "SELECT seq, team_id, message FROM team_outbox ORDER BY seq LIMIT 1",
        )
        .toArray()[0];
      if (!row) return;
      const message = JSON.parse(row.message) as Message;
      const team = teams.getByName(row.team_id);
      if (message.kind === "settle") await team.settle(message.reservationId, keyId, message.charged);
      else await team.forwardAlert(message.facts);
      this.#sql.exec("DELETE FROM team_outbox WHERE seq = ?", row.seq);
    }
  }

  #queue(teamId: string, message: Message): void {
    this.#sql.exec(
      "INSERT INTO team_outbox (team_id, message) VALUES (?, ?)",
      teamId,
      JSON.stringify(message),
    );
  }
}
