import {
  type KeyOperationId,
  OPERATIONS,
  type OperationAccess,
  type OperationId,
  routeIdOf,
} from "@sdgate/shared";
import type { ApiKeyScope } from "./api-key.ts";

/**
 * Every route of the edge, as `METHOD /path` with OpenAPI's `{param}`, and what it needs: the
 * contract's `OPERATIONS`, where each operation states its `access`. A route takes its guard from
 * there (`keyAuth(operation)`, `adminAuth`), and a test walks `app.routes` against this with every
 * scope, so a route that is not an operation, or guarded otherwise than its entry says, fails.
 */
export const ROUTE_ACCESS: Readonly<Record<string, OperationAccess>> = Object.fromEntries(
  (Object.keys(OPERATIONS) as OperationId[]).map((id) => [routeIdOf(id), OPERATIONS[id].access]),
);

/**
 * The scope an API-key operation needs.
 *
 * @example
 * auth({ scope: routeScope("listModels"), store });
 */
export function routeScope(operation: KeyOperationId): ApiKeyScope {
  return OPERATIONS[operation].access.scope;
}
