import { PERMISSIONS, type Permission, type Principal, permissionsOf, type Role } from "@sdgate/shared";
import type { Membership, User } from "./directory/index.ts";

/**
 * A person as `GET /v1/me` shows them: global roles (`admin`) in `roles`, each team's role in
 * `teams`, and in `permissions` everything they may do somewhere.
 *
 * @example
 * const me = userPrincipal(signedIn.user, signedIn.memberships);
 */
export function userPrincipal(user: User, memberships: readonly Membership[]): Principal {
  const roles = memberships.filter((m) => m.team_id === null).map((m) => m.role);
  const teams = memberships.flatMap((m) =>
    m.team_id === null ? [] : [{ id: m.team_id, name: m.team_name, role: m.role }],
  );
  return {
    object: "principal",
    kind: "user",
    id: user.id,
    name: user.name,
    email: user.email,
    teams,
    roles: [...new Set(roles)],
    permissions: permissionsOf([...roles, ...teams.map((team) => team.role)]),
  };
}

/**
 * Whether a principal may do `permission` across the whole deployment (every key, the whole audit
 * log, the fleet): only through a global role, never through a role in one team. Deny by default.
 *
 * @example
 * if (!mayEverywhere(principal, "audit.read")) throw forbidden("audit.read");
 */
export function mayEverywhere(principal: Principal, permission: Permission): boolean {
  if (principal.kind === "break_glass") return true;
  return permissionsOf(principal.roles as Role[]).includes(permission);
}

/**
 * Whether a principal may do `permission` in team `teamId`: a global role that grants it, or their
 * role in that team.
 *
 * @example
 * if (!mayInTeam(principal, "keys.create", body.team_id)) throw forbidden("keys.create");
 */
export function mayInTeam(principal: Principal, permission: Permission, teamId: string): boolean {
  if (mayEverywhere(principal, permission)) return true;
  const team = principal.teams.find((t) => t.id === teamId);
  return team !== undefined && permissionsOf([team.role]).includes(permission);
}

/** The admin token's holder: break-glass, every permission, every use audited as such. */
export const BREAK_GLASS: Principal = {
  object: "principal",
  kind: "break_glass",
  id: "admin_token",
  name: "SDGATE_ADMIN_TOKEN",
  email: null,
  teams: [],
  roles: ["admin"],
  permissions: [...PERMISSIONS],
};

/**
 * How an audit row names who acted: `break_glass` (the admin token), `user:<id>` (a person; their
 * email goes in the row's detail), `service:<Client ID>` (an Access service token) or a key's id.
 *
 * @example
 * actorOf(BREAK_GLASS); // "break_glass"
 */
export function actorOf(principal: Principal): string {
  switch (principal.kind) {
    case "break_glass":
      return "break_glass";
    case "user":
      return `user:${principal.id}`;
    case "service":
      return `service:${principal.id}`;
    case "key":
      return principal.id;
  }
}
