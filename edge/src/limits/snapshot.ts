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
}

/** The answer of {@link KeyState.admit}: a reservation to settle, or the limit that refused it. */
export type AdmitResult =
  | { ok: true; reservationId: string | null; snapshot: LimitSnapshot }
  | { ok: false; limit: LimitName; retryAfterS: number; snapshot: LimitSnapshot };
