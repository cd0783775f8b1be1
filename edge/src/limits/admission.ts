import { SdgateError } from "@sdgate/shared";
import type { Context } from "hono";
import type { GenerationEnd } from "../audit/outbox.ts";
import { log } from "../log.ts";
import { rateLimitHeaders } from "./headers.ts";
import type { KeyState } from "./key-state.ts";
import type { AdmitResult, LimitSnapshot } from "./snapshot.ts";

/** An admitted generation: its reserved cost, to be settled exactly once when the job ends. */
export interface Admission {
  readonly cost: number;
  /** The key's reservation (`null` when nothing was reserved): an async job settles it from its own object. */
  readonly reservationId: string | null;
  /**
   * `ok: true` charges `actualCost` (default: the reserved cost); `ok: false` refunds it. With `end`,
   * the generation's audit row is written in the same step, with what was charged. Calling it again
   * does nothing. Never throws: if the key's Durable Object cannot be reached the reservation lapses
   * after its lease (`RESERVATION_LEASE_MS`), is charged at the reserved cost and audited as such.
   */
  settle(outcome: { ok: boolean; actualCost?: number; end?: GenerationEnd }): Promise<void>;
}

/** Puts `RateLimit-Policy` / `RateLimit` for `snapshot` on the response of `c`. */
export function setRateLimitHeaders(c: Context, snapshot: LimitSnapshot): Record<string, string> {
  const headers = rateLimitHeaders(snapshot);
  for (const [name, value] of Object.entries(headers)) c.header(name, value);
  return headers;
}

/**
 * The error for an admission a limit refused, naming the limit, with `Retry-After`: 429 for the
 * request rate, concurrency and credits; 402 `budget_exceeded` for the monthly budget, which only the
 * month's turn (or a bigger budget) lifts.
 */
export function refusal(result: Extract<AdmitResult, { ok: false }>, cost: number | null): SdgateError {
  const { limits, inFlight, creditsRemaining, monthly } = result.snapshot;
  const headers = { "Retry-After": String(result.retryAfterS), ...rateLimitHeaders(result.snapshot) };
  if (result.limit === "monthly_credits") {
    const resetsAt = new Date(monthly?.resetsAtMs ?? Date.now()).toISOString();
    const message = `This API key's monthly budget of ${monthly?.credits ?? 0} credits has ${monthly?.remaining ?? 0} left; this request needs ${cost ?? 0}. It starts again at ${resetsAt}.`;
    return new SdgateError("budget_exceeded", message, { param: result.limit, headers });
  }
  if (result.limit === "team_monthly_credits") {
    const { team } = result;
    const resetsAt = new Date(team.resetsAtMs).toISOString();
    const message = `The monthly budget of team ${team.teamName} (${team.teamId}), ${team.credits} credits, has ${team.remaining} left; this request needs ${cost ?? 0}. It starts again at ${resetsAt}.`;
    return new SdgateError("budget_exceeded", message, { param: result.limit, headers });
  }
  const retry = `Retry after ${result.retryAfterS} s.`;
  const messages = {
    requests_per_minute: `This API key has used its ${limits.requests_per_minute} requests per minute. ${retry}`,
    concurrency: `This API key already has ${inFlight} generations in flight, its limit of ${limits.concurrency}. ${retry}`,
    credits: `This API key has ${creditsRemaining ?? 0} credits left; this request needs ${cost ?? 0}.`,
  };
  return new SdgateError("rate_limited", messages[result.limit], { param: result.limit, headers });
}

/** The {@link Admission} of what the key's object `stub` admitted: settled there, once. */
export function admissionOf(
  stub: DurableObjectStub<KeyState>,
  keyId: string,
  cost: number,
  reservationId: string | null,
): Admission {
  let settled = reservationId === null;
  return {
    cost,
    reservationId,
    async settle(outcome) {
      if (settled) return;
      settled = true;
      const charged = outcome.ok ? (outcome.actualCost ?? cost) : 0;
      try {
        await stub.settle(reservationId ?? "", charged, outcome.end ?? null);
      } catch (error) {
        log.error("settling an admission failed", { key_id: keyId, error: (error as Error).message });
      }
    },
  };
}
