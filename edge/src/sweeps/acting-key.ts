import { randomHex } from "@sdgate/shared";
import { type Context, type ExecutionContext, Hono } from "hono";
import type { EdgeConfig, Env } from "../env.ts";
import type { AppEnv } from "../hono-env.ts";
import { keyRefusal } from "../keys/auth.ts";
import { confirmKey } from "../keys/authorize.ts";
import { keyOfRecord, type PendingKey } from "../keys/key-check.ts";
import { apiKeyStore } from "../keys/lookup.ts";

/** The key a sweep is driven as: its secret's SHA-256, and the address and origin its request came from. */
export interface SweepActor {
  keyHash: string;
  ip: string | null;
  origin: string;
}

/**
 * Runs `work` on a Hono context set up as `keyAuth(…, { deferred: true })` sets up the request that
 * created or last resumed the sweep, for the driver, which has no request: the key found by its
 * secret's hash where `keyAuth` finds it (this isolate, KV, then D1), left for `authorize` to confirm
 * with the key's Durable Object (scope `generate`), from the address and origin that request came
 * from. So a cell is prepared, governed, admitted and charged as the resume route does it. The key's
 * object confirms the key before `work` runs: a key revoked, expired, rotated out or limited to other
 * addresses since throws its refusal (401 `invalid_api_key`, 403 `ip_not_allowed`), as does a secret
 * no store knows any more; otherwise whatever `work` throws.
 *
 * @example
 * const turn = await actAsSweepKey(env, config, actor, (p) => ctx.waitUntil(p), (c) => submitCells(c, id, null));
 */
export async function actAsSweepKey<T>(
  env: Env,
  config: EdgeConfig,
  actor: SweepActor,
  background: (work: Promise<unknown>) => void,
  work: (c: Context<AppEnv>) => Promise<T>,
): Promise<T> {
  const record = await apiKeyStore(config).findByHash(actor.keyHash);
  if (record === null) throw keyRefusal("unknown_key");
  const pendingKey: PendingKey = { hashHex: actor.keyHash, record, scope: "generate", asked: false };
  const result: { outcome?: { ok: true; value: T } | { ok: false; error: unknown } } = {};
  const app = new Hono<AppEnv>();
  app.all("*", async (c) => {
    c.set("config", config);
    c.set("requestId", `req_${randomHex(12)}`);
    c.set("pendingKey", pendingKey);
    c.set("apiKey", keyOfRecord(record));
    try {
      // As the resume route authorizes before it claims a cell: a key refused since stops here.
      await confirmKey(c);
      result.outcome = { ok: true, value: await work(c) };
    } catch (error) {
      result.outcome = { ok: false, error };
    }
    return c.body(null, 204);
  });
  // `CF-Connecting-IP` is where the key's `allowed_ips` read the caller's address (`clientIpOf`).
  const headers: Record<string, string> = actor.ip === null ? {} : { "CF-Connecting-IP": actor.ip };
  // What the route hands to `waitUntil` (a refund after a failed submission) outlives the turn.
  const executionCtx: ExecutionContext = { waitUntil: background, passThroughOnException() {}, props: {} };
  await app.fetch(new Request(actor.origin, { headers }), env, executionCtx);
  const { outcome } = result;
  if (outcome === undefined) throw new Error("actAsSweepKey: the handler did not run.");
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}
