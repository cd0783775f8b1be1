import { SdgateError, sha256Hex } from "@sdgate/shared";
import type { Context, MiddlewareHandler } from "hono";
import {
  API_KEY_PATTERN,
  API_KEY_SCOPES,
  type ApiKeyRecord,
  type ApiKeyScope,
  type ApiKeyStore,
} from "../../api-keys.ts";

type AuthEnv = { Variables: { apiKey: ApiKeyRecord } };

export interface AuthOptions<E extends AuthEnv> {
  /** Where keys are looked up, per request (e.g. the KV namespace from the env). */
  store: (c: Context<E>) => ApiKeyStore;
  /** The scope the key must carry; any valid key passes when omitted. */
  scope?: ApiKeyScope;
}

// RFC 6750 §3: a 401 names the scheme; a 403 for a missing scope says which scope was needed.
const CHALLENGE = 'Bearer realm="sdgate"';

function unauthorized(code: "missing_api_key" | "invalid_api_key", message: string): SdgateError {
  return new SdgateError(code, message, { headers: { "WWW-Authenticate": CHALLENGE } });
}

/**
 * Checks `Authorization: Bearer sk_…`: the key is hashed (SHA-256) and its record looked up by that
 * hash, so only hashes are ever stored and no secret is compared byte by byte. Puts the key's record
 * on `c.var.apiKey`. Throws 401 `missing_api_key` / `invalid_api_key`, or 403 `insufficient_scope`.
 *
 * @example
 * app.post("/v1/images/generations", auth({ scope: "generate", store: (c) => kvApiKeyStore(c.env.API_KEYS) }), handler);
 */
export function auth<E extends AuthEnv>(options: AuthOptions<E>): MiddlewareHandler<E> {
  const { scope, store } = options;
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
    const match = /^Bearer +(\S+) *$/i.exec(header);
    const key = match?.[1];
    if (key === undefined || !API_KEY_PATTERN.test(key)) {
      throw unauthorized("invalid_api_key", "Invalid API key. Send it as 'Authorization: Bearer sk_...'.");
    }
    const record = await store(c).findByHash(await sha256Hex(key));
    if (record === null) throw unauthorized("invalid_api_key", "Invalid API key.");
    if (scope !== undefined && !record.scopes.includes(scope)) {
      throw new SdgateError("insufficient_scope", `This API key lacks the '${scope}' scope.`, {
        headers: { "WWW-Authenticate": `${CHALLENGE}, error="insufficient_scope", scope="${scope}"` },
      });
    }
    c.set("apiKey", record);
    await next();
  };
}
