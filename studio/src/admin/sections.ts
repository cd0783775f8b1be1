import { type Permission, type Principal, permissionsOf, type Role } from "@sdgate/shared";

/**
 * Where a section's permission must be held for the admin API to answer it: `everywhere` (a role
 * given without a team, such as `admin`) for the deployment-wide routes (`adminGuard`), or `team`
 * (in at least one team) for the routes scoped to one team (`teamGuard`: a team's members, its budget).
 */
export type SectionScope = "everywhere" | "team";

/** A section of the Admin page: `#/admin/<id>`. */
export interface AdminSection {
  id: string;
  title: string;
  permission: Permission;
  scope: SectionScope;
}

/**
 * The sections, in the page's order. Each is shown only to people whose roles let the API answer its
 * list: a team admin holds `keys.read` and `audit.read` in their team, but the key list and the audit
 * log are deployment-wide, so those sections are for global roles only.
 */
export const ADMIN_SECTIONS: readonly AdminSection[] = [
  { id: "people", title: "People", permission: "members.read", scope: "everywhere" },
  { id: "teams", title: "Teams", permission: "members.read", scope: "team" },
  { id: "role-mappings", title: "Role mappings", permission: "members.read", scope: "everywhere" },
  { id: "keys", title: "Keys", permission: "keys.read", scope: "everywhere" },
  { id: "budgets", title: "Budgets", permission: "usage.read", scope: "team" },
  { id: "audit", title: "Audit", permission: "audit.read", scope: "everywhere" },
  { id: "backends", title: "Backends", permission: "backends.read", scope: "everywhere" },
];

/**
 * Whether the person holds a permission everywhere (through a role given without a team).
 *
 * @example
 * mayEverywhere(principal, "budgets.manage"); // true for an admin only
 */
export function mayEverywhere(principal: Principal, permission: Permission): boolean {
  return permissionsOf(principal.roles as Role[]).includes(permission);
}

/**
 * The teams where the person holds a permission through their role there (not counting global roles).
 *
 * @example
 * teamsWith(principal, "members.manage"); // [{ id: "team_…", name: "Search", role: "team_admin" }]
 */
export function teamsWith(principal: Principal, permission: Permission): Principal["teams"] {
  return principal.teams.filter((team) => permissionsOf([team.role]).includes(permission));
}

/**
 * Whether the person holds a permission in this team, by their role there or everywhere.
 *
 * @example
 * if (mayInTeam(principal, "members.manage", team.id)) showAddMember();
 */
export function mayInTeam(principal: Principal, permission: Permission, teamId: string): boolean {
  return (
    mayEverywhere(principal, permission) ||
    teamsWith(principal, permission).some((team) => team.id === teamId)
  );
}

/**
 * The sections this person may open, in order.
 *
 * @example
 * sectionsFor(developer).map((section) => section.id); // ["budgets"]
 */
export function sectionsFor(principal: Principal): AdminSection[] {
  return ADMIN_SECTIONS.filter((section) =>
    section.scope === "everywhere"
      ? mayEverywhere(principal, section.permission)
      : mayEverywhere(principal, section.permission) || teamsWith(principal, section.permission).length > 0,
  );
}

/** The permissions that open the Admin page (any one of them opens at least one section). */
export const ADMIN_PAGE_PERMISSIONS: readonly Permission[] = [
  ...new Set(ADMIN_SECTIONS.map((section) => section.permission)),
];
