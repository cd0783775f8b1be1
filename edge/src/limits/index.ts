import type { Context } from "hono";
import type { AppEnv } from "../hono-env.ts";
import { type Admission, admissionOf, refusal, setRateLimitHeaders } from "./admission.ts";

export type { Admission } from "./admission.ts";
export { estimateCost, modelCredits, PIXEL_STEPS_PER_CREDIT } from "./cost.ts";
export { rateLimitHeaders } from "./headers.ts";
export { DEFAULT_KEY_LIMITS, type KeyLimits, keyLimitsSchema, type LimitName } from "./policy.ts";
export type { LimitSnapshot } from "./snapshot.ts";

function keyStateOf(c: Context<AppEnv>) {
  const key = c.get("apiKey") as AppEnv["Variables"]["apiKey"] | undefined;
  if (!key) throw new Error("limits: admit() needs the auth middleware to run first.");
  return { key, stub: c.get("config").keyState.getByName(key.id) };
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
  setRateLimitHeaders(c, result.snapshot);
  if (!result.ok) throw refusal(result, cost);
  return admissionOf(stub, key.id, cost, result.reservationId);
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
  setRateLimitHeaders(c, result.snapshot);
  if (!result.ok) throw refusal(result, null);
}
