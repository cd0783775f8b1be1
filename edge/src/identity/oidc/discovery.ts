import * as oauth from "oauth4webapi";
import type { OidcConfig } from "./config.ts";

/** How long an isolate trusts a provider's discovery document before fetching it again. */
export const DISCOVERY_TTL_MS = 60 * 60_000;
/** Each call to the provider (discovery, token, keys, userinfo) gives up after this. */
export const PROVIDER_TIMEOUT_MS = 5_000;

type RequestOptions = Pick<oauth.HttpRequestOptions<"GET">, "signal" | typeof oauth.allowInsecureRequests>;

/** The options every oauth4webapi request takes here: a timeout, and plain http only for a loopback issuer. */
export function requestOptions(config: OidcConfig): RequestOptions {
  return {
    signal: () => AbortSignal.timeout(PROVIDER_TIMEOUT_MS),
    ...(config.allowLoopback ? { [oauth.allowInsecureRequests]: true } : {}),
  };
}

type Cached = { server: oauth.AuthorizationServer; expiresAtMs: number };
const cache = new Map<string, Cached>();
const inFlight = new Map<string, Promise<oauth.AuthorizationServer>>();

function cacheKey(config: OidcConfig): string {
  return `${config.allowLoopback}|${config.issuer}`;
}

/**
 * The provider's metadata from `{issuer}/.well-known/openid-configuration` (OpenID Connect Discovery
 * 1.0), checked to name the configured issuer exactly; kept per isolate for {@link DISCOVERY_TTL_MS},
 * one fetch at a time. oauth4webapi keeps the provider's signing keys with the returned object.
 * Throws when the provider cannot be reached or answers something else; a failure is not kept.
 *
 * @example
 * const server = await discover(config);
 * server.authorization_endpoint; // "https://login.acme.com/authorize"
 */
export async function discover(config: OidcConfig, nowMs = Date.now()): Promise<oauth.AuthorizationServer> {
  const key = cacheKey(config);
  const cached = cache.get(key);
  if (cached !== undefined && cached.expiresAtMs > nowMs) return cached.server;
  let pending = inFlight.get(key);
  if (pending === undefined) {
    pending = (async () => {
      const issuer = new URL(config.issuer);
      const response = await oauth.discoveryRequest(issuer, requestOptions(config));
      const server = await oauth.processDiscoveryResponse(issuer, response);
      cache.set(key, { server, expiresAtMs: Date.now() + DISCOVERY_TTL_MS });
      return server;
    })().finally(() => inFlight.delete(key));
    inFlight.set(key, pending);
  }
  return pending;
}

/**
 * Makes the next signature check fetch the provider's keys again. oauth4webapi keeps them with the
 * metadata object for up to 5 minutes and refetches on an unknown key id only after a minute; a
 * provider that starts signing with a new key within that minute would otherwise be refused.
 * Returns the metadata object to use from now on.
 */
export function forgetSigningKeys(
  config: OidcConfig,
  server: oauth.AuthorizationServer,
): oauth.AuthorizationServer {
  const fresh = { ...server };
  const cached = cache.get(cacheKey(config));
  if (cached?.server === server) cache.set(cacheKey(config), { ...cached, server: fresh });
  return fresh;
}
