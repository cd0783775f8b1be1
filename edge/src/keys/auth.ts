import { SdgateError, sha256Hex } from "@sdgate/shared";
import type { Context, MiddlewareHandler } from "hono";
import type { AuthVerdict } from "../limits/key-state.ts";
import {
  API_KEY_PATTERN,
  API_KEY_SCOPES,
  type ApiKey,
  type ApiKeyScope,
  knownScopes,
  scopeGranted,
} from "./api-key.ts";
import { type AuthFailures, MAX_AUTH_FAILURES } from "./auth-failures.ts";
import {
  addressBucket,
  durableFailedAuthGuard,
  type FailedAuthGuard,
  tooManyFailures,
} from "./failed-auth.ts";
import { clientIpOf, type KeyCheck, keyStateCheck } from "./key-check.ts";
import type { ApiKeyStore } from "./lookup.ts";

export type { FailedAuthGuard } from "./failed-auth.ts";

type AuthEnv = { Variables: { apiKey: ApiKey } };

export interface AuthOptions<E extends AuthEnv> {
  /** Where keys are looked up, per request (e.g. `apiKeyStore(c.var.config)`: KV, then D1). */
  store: (c: Context<E>) => ApiKeyStore;
  /** The scope the key must carry; any valid key passes when omitted. */
  scope?: ApiKeyScope;
  /**
   * Whether a key found in the store still works, and its current scopes and limits. Default: ask the
   * key's Durable Object ({@link keyStateCheck}), so a revoked or rotated-out secret fails everywhere at
   * once, whatever KV still caches. A route that admits the request anyway defers it (`keyAuth` in
   * `authorize.ts`) and asks the object once for both.
   */
  check?: KeyCheck<E>;
  /**
   * Failed authentications per client address (`CF-Connecting-IP`). Default: the `AUTH_FAILURES`
   * objects of `c.var.config`; none when the app has no config. `null`: no limit.
   */
  failures?: (c: Context<E>) => FailedAuthGuard | null;
  /**
   * Also take the key as HTTP Basic's password (any username): what AUTOMATIC1111's `--api-auth`
   * clients send (Open WebUI, SillyTavern, webuiapi). Only the `/sdapi/v1` routes accept it.
   */
  basic?: boolean;
}

function configuredGuard<E extends object>(c: Context<E>): FailedAuthGuard | null {
  const config = (c.var as { config?: { authFailures?: DurableObjectNamespace<AuthFailures> } }).config;
  return config?.authFailures ? durableFailedAuthGuard(config.authFailures) : null;
}

// RFC 6750 §3: a 401 names the scheme; a 403 for a missing scope says which scope was needed.
const CHALLENGE = 'Bearer realm="sdgate"';

function unauthorized(code: "missing_api_key" | "invalid_api_key", message: string): SdgateError {
  return new SdgateError(code, message, { headers: { "WWW-Authenticate": CHALLENGE } });
}

type RefusalReason = Extract<AuthVerdict, { ok: false }>["reason"];

const REFUSALS: Record<Exclude<RefusalReason, "ip_not_allowed">, string> = {
  unknown_key: "Invalid API key.",
  unknown_secret: "Invalid API key.",
  expired: "This API key was rotated and its grace period is over; use the new key.",
  key_expired: "This API key has expired.",
  revoked: "This API key has been revoked.",
};

/**
 * The 401 for a key its Durable Object refused (revoked, rotated out, expired, unknown), or the 403
 * for a good key used from an address its `allowed_ips` leave out.
 */
export function keyRefusal(reason: RefusalReason): SdgateError {
  if (reason === "ip_not_allowed")
    return new SdgateError("ip_not_allowed", "This API key may not be used from this address.");
  return unauthorized("invalid_api_key", REFUSALS[reason]);
}

/** The 403 for a key without the scope a route needs (RFC 6750 §3.1). */
export function missingScope(scope: string): SdgateError {
  return new SdgateError("insufficient_scope", `This API key lacks the '${scope}' scope.`, {
    headers: { "WWW-Authenticate": `${CHALLENGE}, error="insufficient_scope", scope="${scope}"` },
  });
}

/**
 * The key an `Authorization` header carries: `Bearer <key>`, or with `basic` also `Basic
 * base64(user:key)` (RFC 7617; the username is ignored). `null` when it carries none in those forms.
 */
export function keyOfAuthorization(header: string, basic: boolean): string | null {
  const bearer = /^Bearer +(\S+) *$/i.exec(header)?.[1];
  if (bearer !== undefined) return bearer;
  const encoded = basic ? /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header)?.[1] : undefined;
  if (encoded === undefined) return null;
  let decoded: string;
  try {
    decoded = atob(encoded);
  } catch {
    return null;
  }
  const colon = decoded.indexOf(":");
  return colon === -1 ? null : decoded.slice(colon + 1);
}

/**
 * Checks `Authorization: Bearer sk_…`: the key is hashed (SHA-256) and its record looked up by that
 * hash, so only hashes are ever stored and no secret is compared byte by byte; then the key's Durable
 * Object confirms it still works. Puts the key (id, name, scopes, limits) on `c.var.apiKey`. Throws
 * 401 `missing_api_key` / `invalid_api_key`, or 403 `insufficient_scope`.
 *
 * An address (IPv4, or IPv6 /64) that presented {@link MAX_AUTH_FAILURES} distinct unknown keys within
 * a few minutes gets 429 `rate_limited` with `Retry-After` for any key until the window ends, before
 * any lookup: random keys cannot be turned into a flood of KV and D1 reads. Only unknown keys count
 * (they are what guessing produces and what reaches D1), each once; a request without
 * `CF-Connecting-IP`, which Cloudflare always sets, is not counted.
 *
 * @example
 * app.post("/v1/images/generations", auth({ scope: "generate", store: (c) => apiKeyStore(c.var.config) }), handler);
 */
export function auth<E extends AuthEnv>(options: AuthOptions<E>): MiddlewareHandler<E> {
  const { scope, store } = options;
  const failures = options.failures ?? configuredGuard<E>;
  const check: KeyCheck<E> = options.check ?? keyStateCheck;
  if (scope !== undefined && !API_KEY_SCOPES.includes(scope)) {
    throw new TypeError(`auth: unknown scope '${scope}'; expected one of ${API_KEY_SCOPES.join(", ")}.`);
  }
  return async function auth(c, next) {
    const header = c.req.header("Authorization");
    if (header === undefined || header.trim() === "") {
      throw unauthorized(
        "missing_api_key",
        "No API key provided. Send it as 'Authorization: Bearer sk_...'.",
      );
    }
    const key = keyOfAuthorization(header, options.basic === true);
    if (key === null || !API_KEY_PATTERN.test(key)) {
      throw unauthorized("invalid_api_key", "Invalid API key. Send it as 'Authorization: Bearer sk_...'.");
    }
    const ip = clientIpOf(c as Context);
    const bucket = ip === null ? null : addressBucket(ip);
    const guard = bucket === null ? null : failures(c);
    if (guard !== null && bucket !== null) {
      const nowMs = Date.now();
      const untilMs = guard.blockedUntilMs(bucket, nowMs);
      if (untilMs !== null) throw tooManyFailures(untilMs, nowMs);
    }
    const hashHex = await sha256Hex(key);
    const record = await store(c).findByHash(hashHex);
    if (record === null) {
      if (guard !== null && bucket !== null) {
        const count = await guard.recordFailure(bucket, hashHex);
        // The failure that reached the limit is still answered for what it was; those after are refused.
        if (count.blockedUntilMs !== null && count.failures > MAX_AUTH_FAILURES)
          throw tooManyFailures(count.blockedUntilMs, Date.now());
      }
      throw unauthorized("invalid_api_key", "Invalid API key.");
    }
    const verdict = await check(c, hashHex, record);
    if (!verdict.ok) throw keyRefusal(verdict.reason);
    if (scope !== undefined && !scopeGranted(verdict.key.scopes, scope)) throw missingScope(scope);
    c.set("apiKey", { ...verdict.key, scopes: knownScopes(verdict.key.scopes) });
    await next();
  };
}
