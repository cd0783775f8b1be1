import type { TeamRefusal } from "../budgets/team-budget.ts";
import type { KeyLimits, LimitName } from "./policy.ts";

/** A key's limits and what is left of them at one instant: what the RateLimit headers report. */
export interface LimitSnapshot {
  limits: KeyLimits;
  /** Whole tokens left in the request bucket. */
  requestsRemaining: number;
  /** Seconds until the request bucket is full again. */
  requestsResetS: number;
  /** Generations admitted and not yet settled. */
  inFlight: number;
  /** Credits neither spent nor reserved; `null` when the key has no credit limit. */
  creditsRemaining: number | null;
  /** The key's monthly budget: its credits, what this month has left, and when (in how long) it starts again. */
  monthly: { credits: number; remaining: number; resetsAtMs: number; resetS: number } | null;
}

/** The answer of {@link KeyState.admit}: a reservation to settle, or the limit that refused it. */
export type AdmitResult =
  | { ok: true; reservationId: string | null; snapshot: LimitSnapshot }
  | {
      ok: false;
      limit: Exclude<LimitName, "team_monthly_credits">;
      retryAfterS: number;
      snapshot: LimitSnapshot;
    }
  /** The key's team's monthly budget refused: the key's own reservation was given back. */
  | {
      ok: false;
      limit: "team_monthly_credits";
      retryAfterS: number;
      snapshot: LimitSnapshot;
      team: TeamRefusal;
    };
