import type { Context } from "hono";
import { type ApiKey, type ApiKeyScope, scopeGranted } from "../../api-keys.ts";
import { missingScope } from "./index.ts";

/**
 * Who may call a route: anyone (`public`), whoever holds a link the edge signed (`signed_link`: the
 * signature is the permission), the admin token (`admin_token`; no API key, whatever its scopes), or
 * an API key granting `scope` (`generate` implies `read`, see `API_KEY_SCOPES`).
 */
export type RouteAccess =
  | { kind: "public" }
  | { kind: "signed_link" }
  | { kind: "admin_token" }
  | { kind: "api_key"; scope: ApiKeyScope };

const PUBLIC = { kind: "public" } as const;
const ADMIN = { kind: "admin_token" } as const;
const READ = { kind: "api_key", scope: "read" } as const;
const GENERATE = { kind: "api_key", scope: "generate" } as const;

/**
 * Every route of the edge, as `METHOD /path` with OpenAPI's `{param}`, and what it needs. A route
 * takes its guard from here (`routeScope`, `requireRouteScope`), and a test walks `app.routes`
 * against it with every scope, so a route added without an entry fails the build.
 * - `read`: what only looks: the models, a price, the key's own jobs and their progress.
 * - `generate`: what spends GPU time or acts on a job: generating, cancelling, and the secret that
 *   verifies the webhooks a generation asks for.
 */
export const ROUTE_ACCESS = {
  "GET /healthz": PUBLIC,
  "GET /openapi.json": PUBLIC,
  "GET /v1/models": READ,
  "POST /v1/estimate": READ,
  "POST /v1/images/generations": GENERATE,
  "GET /v1/images/{id}": { kind: "signed_link" },
  "GET /v1/jobs/{id}": READ,
  "GET /v1/jobs/{id}/events": READ,
  "POST /v1/jobs/{id}/cancel": GENERATE,
  "GET /v1/webhooks/secret": GENERATE,
  "POST /admin/keys": ADMIN,
  "GET /admin/keys": ADMIN,
  "GET /admin/keys/{id}": ADMIN,
  "PATCH /admin/keys/{id}": ADMIN,
  "DELETE /admin/keys/{id}": ADMIN,
  "POST /admin/keys/{id}/rotate": ADMIN,
  "GET /admin/audit": ADMIN,
  "GET /admin/audit/verify": ADMIN,
  "GET /admin/backends": ADMIN,
  "GET /admin/usage": ADMIN,
} as const satisfies Record<string, RouteAccess>;

export type RouteId = keyof typeof ROUTE_ACCESS;
type KeyRouteId = {
  [K in RouteId]: (typeof ROUTE_ACCESS)[K] extends { kind: "api_key" } ? K : never;
}[RouteId];

/**
 * The scope an API-key route needs.
 *
 * @example
 * app.get("/v1/models", auth({ scope: routeScope("GET /v1/models"), store }), handler);
 */
export function routeScope(route: KeyRouteId): ApiKeyScope {
  return ROUTE_ACCESS[route].scope;
}

/**
 * Throws 403 `insufficient_scope` unless the key on `c.var.apiKey` grants `route`'s scope. For a
 * route whose auth middleware deferred the key's check: call it right after `authorize`, which put
 * the key's current scopes there (its stored record's may be up to a minute old).
 *
 * @example
 * await authorize(c, { scope: null, cost: null });
 * requireRouteScope(c, "GET /v1/jobs/{id}");
 */
export function requireRouteScope<E extends { Variables: { apiKey: ApiKey } }>(
  c: Context<E>,
  route: KeyRouteId,
): void {
  const scope = routeScope(route);
  const key = (c.var as { apiKey: ApiKey }).apiKey;
  if (!scopeGranted(key.scopes, scope)) throw missingScope(scope);
}
