import type { KeyOperationId } from "@sdgate/shared";
import type { Context, MiddlewareHandler } from "hono";
import type { GenerationContext, GenerationEnd } from "../audit/outbox.ts";
import type { AppEnv } from "../hono-env.ts";
import { type Admission, admissionOf, refusal, setRateLimitHeaders } from "../limits/admission.ts";
import { modelNotAllowed } from "../models.ts";
import { scopeGranted } from "./api-key.ts";
import { auth, keyRefusal, missingScope } from "./auth.ts";
import { bootstrapOf, clientIpOf, keyOfRecord, type PendingKey } from "./key-check.ts";
import { apiKeyStore } from "./lookup.ts";
import { routeScope } from "./route-scopes.ts";

function pendingKeyOf(c: Context<AppEnv>): PendingKey {
  const pending = c.get("pendingKey") as PendingKey | undefined;
  if (!pending) throw new Error("keys: authorize() needs keyAuth(route, { deferred: true }) first.");
  return pending;
}

/**
 * Asks the key's Durable Object, once per request, whether the pending key still works, and throws its
 * 401 (403 for an address its `allowed_ips` leave out) if not. {@link keyAuth} calls it for any error
 * thrown before {@link authorize}; a route calls it itself only to read something on the key's behalf
 * before it admits the request.
 *
 * @example
 * await confirmKey(c);
 * const seen = await job.peek(c.var.apiKey.id, fingerprint);
 */
export async function confirmKey(c: Context<AppEnv>): Promise<void> {
  const pending = pendingKeyOf(c);
  if (pending.asked) return;
  pending.asked = true;
  const verdict = await c
    .get("config")
    .keyState.getByName(pending.record.id)
    .authenticate(pending.hashHex, bootstrapOf(pending.hashHex, pending.record), clientIpOf(c));
  if (!verdict.ok) throw keyRefusal(verdict.reason);
}

/**
 * The guard of an API-key route: `Authorization: Bearer sk_…` (with `basic`, also HTTP Basic with
 * the key as password, for AUTOMATIC1111 clients) looked up in this isolate, KV, then D1
 * ({@link apiKeyStore}), needing `operation`'s scope (its `access` in the contract's `OPERATIONS`).
 *
 * By default the key's Durable Object confirms the key before the handler runs. With `deferred`, the
 * key passes on its stored record, and the handler's {@link authorize} asks the object once for both
 * the key and the admission. Until then the key is unconfirmed, so any error thrown after this guard
 * is answered only once the object has confirmed the key: a revoked key hears that first, whatever
 * else is wrong with its request, and no route has to remember it.
 *
 * @example
 * onOperation(app, "estimateGeneration", keyAuth("estimateGeneration", { deferred: true }), async (c) => {
 *   const request = await readRequest(c); // may throw: a revoked key still hears 401
 *   await authorize(c, { cost: null, model: request.model });
 * });
 */
export function keyAuth(
  operation: KeyOperationId,
  options: { deferred?: boolean; basic?: boolean } = {},
): MiddlewareHandler<AppEnv> {
  const scope = routeScope(operation);
  const store = (c: Context<AppEnv>) => apiKeyStore(c.get("config"));
  const basic = options.basic === true;
  if (options.deferred !== true) return auth<AppEnv>({ scope, store, basic });
  // No scope here: the record's scopes may be a minute older than a `PATCH`; `authorize` asks the object.
  const guard = auth<AppEnv>({
    store,
    basic,
    check: async (c, hashHex, record) => {
      c.set("pendingKey", { hashHex, record, scope, asked: false });
      return { ok: true, key: keyOfRecord(record) };
    },
  });
  return async function deferredKeyAuth(c, next) {
    await guard(c, async () => {
      await next();
      // Hono has already turned the error into `c.res`; a refusal replaces it, headers and all.
      if (c.error === undefined) return;
      try {
        await confirmKey(c);
      } catch (error) {
        c.res = undefined;
        throw error;
      }
    });
  };
}

/**
 * For a route guarded by {@link keyAuth} with `deferred`: asks the key's Durable Object, in one call,
 * whether the secret still works and grants the route's scope, and admits the request — a generation
 * of `cost` credits (token, concurrency slot and credits, all or nothing), or with `cost: null` a
 * request token only (a cache hit, a read). Puts the key's current scopes and limits on `c.var.apiKey`
 * and the RateLimit headers on `c`. Throws 401 for a refused key, 403 without the scope or for a
 * `model` the key may not use (nothing is admitted then), 429 when a limit refuses. The admission
 * must be settled (a request-only one settles to nothing).
 *
 * @example
 * onOperation(app, "cancelJob", keyAuth("cancelJob", { deferred: true }), async (c) => {
 *   const admission = await authorize(c, { cost: 200 });
 *   c.executionCtx.waitUntil(admission.settle({ ok: true }));
 * });
 */
export async function authorize(
  c: Context<AppEnv>,
  request: {
    cost: number | null;
    model?: string;
    /** The generation's audit context; with `hit`, its row is written as it is admitted. */
    audit?: GenerationContext & { hit?: GenerationEnd };
  },
): Promise<Admission> {
  const pending = pendingKeyOf(c);
  pending.asked = true;
  const stub = c.get("config").keyState.getByName(pending.record.id);
  const { verdict, admission: result } = await stub.authorize(
    pending.hashHex,
    bootstrapOf(pending.hashHex, pending.record),
    { ...request, scope: pending.scope, clientIp: clientIpOf(c) },
  );
  if (!verdict.ok) throw keyRefusal(verdict.reason);
  c.set("apiKey", verdict.key);
  if (result === null) {
    if (!scopeGranted(verdict.key.scopes, pending.scope)) throw missingScope(pending.scope);
    throw modelNotAllowed(verdict.key, request.model ?? "");
  }
  setRateLimitHeaders(c, result.snapshot);
  if (!result.ok) throw refusal(result, request.cost);
  return admissionOf(stub, verdict.key.id, request.cost ?? 0, result.reservationId);
}
