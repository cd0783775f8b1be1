import { SdgateError } from "@sdgate/shared";
import type { Context } from "hono";
import type { ApiKeyScope } from "../api-keys.ts";
import type { GenerationContext, GenerationEnd } from "../audit/outbox.ts";
import type { AppEnv } from "../hono-env.ts";
import { log } from "../log.ts";
import { keyRefusal, missingScope } from "../middleware/auth/index.ts";
import { bootstrapOf, clientIpOf } from "../middleware/auth/key-state-check.ts";
import { modelNotAllowed } from "../models.ts";
import { rateLimitHeaders } from "./headers.ts";
import type { KeyState } from "./key-state.ts";
import type { AdmitResult, LimitSnapshot } from "./snapshot.ts";

export { estimateCost, PIXEL_STEPS_PER_CREDIT } from "./cost.ts";
export { rateLimitHeaders } from "./headers.ts";
export { DEFAULT_KEY_LIMITS, type KeyLimits, keyLimitsSchema, type LimitName } from "./policy.ts";
export type { LimitSnapshot } from "./snapshot.ts";

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

function keyStateOf(c: Context<AppEnv>) {
  const key = c.get("apiKey") as AppEnv["Variables"]["apiKey"] | undefined;
  if (!key) throw new Error("limits: admit() needs the auth middleware to run first.");
  return { key, stub: c.get("config").keyState.getByName(key.id) };
}

function setHeaders(c: Context<AppEnv>, snapshot: LimitSnapshot): Record<string, string> {
  const headers = rateLimitHeaders(snapshot);
  for (const [name, value] of Object.entries(headers)) c.header(name, value);
  return headers;
}

function refusal(result: Extract<AdmitResult, { ok: false }>, cost: number | null): SdgateError {
  const { limits, inFlight, creditsRemaining } = result.snapshot;
  const retry = `Retry after ${result.retryAfterS} s.`;
  const messages = {
    requests_per_minute: `This API key has used its ${limits.requests_per_minute} requests per minute. ${retry}`,
    concurrency: `This API key already has ${inFlight} generations in flight, its limit of ${limits.concurrency}. ${retry}`,
    credits: `This API key has ${creditsRemaining ?? 0} credits left; this request needs ${cost ?? 0}.`,
  };
  return new SdgateError("rate_limited", messages[result.limit], {
    param: result.limit,
    headers: { "Retry-After": String(result.retryAfterS), ...rateLimitHeaders(result.snapshot) },
  });
}

/**
 * Admits a generation of `cost` credits for the authenticated key, in its Durable Object: takes a
 * request token and a concurrency slot and reserves the credits, all or nothing, so 100 concurrent
 * requests against a limit of 10 admit exactly 10. Sets `RateLimit-Policy` / `RateLimit` on `c`.
 * Throws `SdgateError("rate_limited")` (429, `param` naming the limit, `Retry-After`) when refused.
 *
 * @example
 * const admission = await admit(c, estimateCost(resolved, modelFactor));
 * try {
 *   const result = await run();
 *   await admission.settle({ ok: true });
 * } catch (error) {
 *   await admission.settle({ ok: false });
 *   throw error;
 * }
 */
export async function admit(c: Context<AppEnv>, cost: number): Promise<Admission> {
  if (!Number.isSafeInteger(cost) || cost < 0)
    throw new RangeError("admit: cost must be a whole number ≥ 0.");
  const { key, stub } = keyStateOf(c);
  const result = await stub.admit(cost);
  setHeaders(c, result.snapshot);
  if (!result.ok) throw refusal(result, cost);
  return admission(stub, key.id, cost, result.reservationId);
}

function admission(
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

function pendingKeyOf(c: Context<AppEnv>) {
  const pending = c.get("pendingKey") as AppEnv["Variables"]["pendingKey"] | undefined;
  if (!pending) throw new Error("limits: authorize() needs the auth middleware with deferredKeyCheck.");
  return { pending, stub: c.get("config").keyState.getByName(pending.record.id) };
}

/**
 * For a route whose auth middleware used `deferredKeyCheck`: asks the key's Durable Object, in one
 * call, whether the secret still works and has `scope`, and admits the request — a generation of
 * `cost` credits (token, concurrency slot and credits, all or nothing), or with `cost: null` a request
 * token only (a cache hit). Puts the key's current scopes and limits on `c.var.apiKey` and the
 * RateLimit headers on `c`. Throws 401 for a refused key, 403 without the scope or for a `model` the
 * key may not use (nothing is admitted then), 429 when a limit refuses. The admission must be
 * settled (a request-only one settles to nothing).
 *
 * @example
 * app.post("/v1/x", auth({ store, check: deferredKeyCheck }), async (c) => {
 *   const admission = await authorize(c, { scope: "generate", cost: 200 });
 *   c.executionCtx.waitUntil(admission.settle({ ok: true }));
 * });
 */
export async function authorize(
  c: Context<AppEnv>,
  request: {
    scope: ApiKeyScope | null;
    cost: number | null;
    model?: string;
    /** The generation's audit context; with `hit`, its row is written as it is admitted. */
    audit?: GenerationContext & { hit?: GenerationEnd };
  },
): Promise<Admission> {
  const { pending, stub } = pendingKeyOf(c);
  const { verdict, admission: result } = await stub.authorize(
    pending.hashHex,
    bootstrapOf(pending.hashHex, pending.record),
    { ...request, clientIp: clientIpOf(c) },
  );
  if (!verdict.ok) throw keyRefusal(verdict.reason);
  c.set("apiKey", verdict.key);
  if (result === null) {
    if (request.scope !== null && !verdict.key.scopes.includes(request.scope))
      throw missingScope(request.scope);
    throw modelNotAllowed(verdict.key, request.model ?? "");
  }
  setHeaders(c, result.snapshot);
  if (!result.ok) throw refusal(result, request.cost);
  return admission(stub, verdict.key.id, request.cost ?? 0, result.reservationId);
}

/**
 * For a route whose auth middleware used `deferredKeyCheck` and that fails before {@link authorize}:
 * throws the 401 if the key's Durable Object refuses the key, so a revoked key hears that it is
 * revoked before it hears what else was wrong with its request.
 */
export async function confirmPendingKey(c: Context<AppEnv>): Promise<void> {
  const { pending, stub } = pendingKeyOf(c);
  const verdict = await stub.authenticate(
    pending.hashHex,
    bootstrapOf(pending.hashHex, pending.record),
    clientIpOf(c),
  );
  if (!verdict.ok) throw keyRefusal(verdict.reason);
}

/**
 * Counts a request that runs no generation (a cache hit, a GET) against the key's requests-per-minute
 * bucket only. Sets the RateLimit headers; throws a 429 like {@link admit} when the bucket is empty.
 *
 * @example
 * app.get("/v1/models", auth(), async (c) => {
 *   await admitRequestOnly(c);
 *   return c.json(list);
 * });
 */
export async function admitRequestOnly(c: Context<AppEnv>): Promise<void> {
  const { stub } = keyStateOf(c);
  const result = await stub.admitRequest();
  setHeaders(c, result.snapshot);
  if (!result.ok) throw refusal(result, null);
}
