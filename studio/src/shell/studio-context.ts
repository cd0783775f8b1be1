import type { Sdgate } from "@sdgate/sdk";
import { type Permission, type Principal, permissionsOf } from "@sdgate/shared";
import type { StudioKey } from "../studio-key.ts";
import type { Route } from "./route.ts";

/** What every page of a signed-in person is given. */
export interface StudioContext {
  principal: Principal;
  /** Calls on the person's session cookie: `/v1/me` and the admin API, within their roles. */
  session: Sdgate;
  /** Their Studio key in the team they chose, and a client on it; `null` until they make one. */
  key: StudioKey | null;
  client: Sdgate | null;
  route: Route;
}

/**
 * Whether the person holds a permission (in any of their teams, or everywhere as an admin).
 *
 * @example
 * if (holds(principal, "audit.read")) showAudit();
 */
export function holds(principal: Principal, permission: Permission): boolean {
  return principal.permissions.includes(permission);
}

/**
 * Whether a deployment-wide role of the person's (not one in a team) grants a permission: what the
 * admin API asks for the registry, the fleet and other deployment-wide resources.
 *
 * @example
 * holdsEverywhere(principal, "models.read"); // a team developer: false
 */
export function holdsEverywhere(principal: Principal, permission: Permission): boolean {
  return permissionsOf(principal.roles).includes(permission);
}
