import type { ApiKeyScope } from "./api-key.ts";

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
 * takes its guard from here (`keyAuth(route)`, `adminAuth`), and a test walks `app.routes`
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
export type KeyRouteId = {
  [K in RouteId]: (typeof ROUTE_ACCESS)[K] extends { kind: "api_key" } ? K : never;
}[RouteId];

/**
 * The scope an API-key route needs.
 *
 * @example
 * auth({ scope: routeScope("GET /v1/models"), store });
 */
export function routeScope(route: KeyRouteId): ApiKeyScope {
  return ROUTE_ACCESS[route].scope;
}
