import { type Principal, permissionsOf, type Role } from "@sdgate/shared";

const grants = (roles: readonly Role[], permission: "usage.read" | "images.read") =>
  permissionsOf(roles).includes(permission);

/** The teams whose usage the person may read through their role there. */
export function usageTeams(principal: Principal): Principal["teams"] {
  return principal.teams.filter((team) => grants([team.role], "usage.read"));
}

/** Whether the person reads usage everywhere (a global role), not only their teams'. */
export const readsEveryTeam = (principal: Principal) => grants(principal.roles, "usage.read");

/**
 * Whether the report on `teamId` (`null`: every team they may see) is money only, as the edge decides
 * it (edge/src/routes/admin-usage.ts `usageScope`): unless the person may read runs (`images.read`)
 * everywhere, or in every team covered. The edge enforces it; this only keeps the page from offering
 * what it would refuse.
 *
 * @example
 * moneyOnly(billingPerson, null); // true
 */
export function moneyOnly(principal: Principal, teamId: string | null): boolean {
  if (grants(principal.roles, "images.read")) return false;
  if (teamId === null && readsEveryTeam(principal)) return true;
  const covered = teamId === null ? usageTeams(principal) : principal.teams.filter((t) => t.id === teamId);
  return !covered.every((team) => grants([team.role], "images.read"));
}
