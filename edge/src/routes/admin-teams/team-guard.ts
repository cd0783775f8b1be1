import {
  OPERATIONS,
  type OperationId,
  type OperationSpec,
  type Permission,
  type Principal,
  permissionsOf,
  type Role,
  SdgateError,
} from "@sdgate/shared";
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { adminGuard, checkSameOrigin } from "../../identity/guard.ts";
import { personOf } from "../../identity/person.ts";
import { mayEverywhere, mayInTeam } from "../../identity/principal.ts";

function forbidden(permission: Permission, where: string): SdgateError {
  return new SdgateError("insufficient_scope", `This needs the '${permission}' permission ${where}.`);
}

/**
 * The guard of an operation a person may call with its permission in one team (the contract's
 * `teamScope`): the admin token, or a person who holds the permission everywhere or in the team the
 * path's `{id}` names. For `teamScope: "body"` (and `"query"`) the team is known only once the body
 * (or query) is read: a person who holds the permission in no team at all is refused here, and the
 * handler checks the team with {@link requireInTeam} (or limits its answer to the person's teams). Refuses to be built for an operation without a team scope.
 *
 * @example
 * onOperation(app, "addTeamMember", teamGuard("addTeamMember"), adminAudit("member.add"), handler);
 */
export function teamGuard(operation: OperationId): MiddlewareHandler<AppEnv> {
  const { permission, teamScope }: OperationSpec = OPERATIONS[operation];
  if (permission === null || teamScope === undefined)
    throw new TypeError(`teamGuard: ${operation} is not scoped to a team; use adminGuard.`);
  const deploymentWide = adminGuard(operation);
  return async function teamGuard(c, next) {
    const authorization = c.req.header("Authorization");
    if (authorization !== undefined && authorization.trim() !== "") return deploymentWide(c, next);
    const person = await personOf(c);
    // No person: the admin guard's own 401, which says how to send the token.
    if (person === null) return deploymentWide(c, next);
    if (person.via !== "access") checkSameOrigin(c);
    const { principal } = person;
    const allowed =
      teamScope === "path"
        ? mayInTeam(principal, permission, c.req.param("id") ?? "")
        : mayEverywhere(principal, permission) ||
          principal.teams.some((team) => mayInTeam(principal, permission, team.id));
    if (!allowed) throw forbidden(permission, teamScope === "path" ? "in this team" : "in any team");
    c.set("principal", principal);
    await next();
  };
}

/**
 * Refuses (403) unless the caller holds `permission` in `teamId`, or everywhere where `teamId` is
 * `null`: the body's team of an operation {@link teamGuard} admitted with `teamScope: "body"`.
 *
 * @example
 * requireInTeam(c, "keys.create", body.team_id ?? null);
 */
export function requireInTeam(c: Context<AppEnv>, permission: Permission, teamId: string | null): void {
  const principal = c.var.principal;
  const allowed =
    teamId === null ? mayEverywhere(principal, permission) : mayInTeam(principal, permission, teamId);
  if (!allowed)
    throw forbidden(permission, teamId === null ? "everywhere (or name your team)" : "in that team");
}

/**
 * Whether `principal` may give `role` in `teamId` (`null`: everywhere): only if they hold every
 * permission it grants there. No one hands out more than they have: a team admin cannot make a
 * model approver, and a global team admin cannot make an admin.
 *
 * @example
 * if (!mayGrant(c.var.principal, "developer", teamId)) throw …;
 */
export function mayGrant(principal: Principal, role: Role, teamId: string | null): boolean {
  return permissionsOf([role]).every((permission) =>
    teamId === null ? mayEverywhere(principal, permission) : mayInTeam(principal, permission, teamId),
  );
}

/** Refuses (403, naming `role`) a grant {@link mayGrant} does not allow. */
export function requireMayGrant(c: Context<AppEnv>, role: Role, teamId: string | null): void {
  if (mayGrant(c.var.principal, role, teamId)) return;
  const where = teamId === null ? "everywhere" : "in this team";
  throw new SdgateError(
    "insufficient_scope",
    `You may not give the role '${role}' ${where}: it grants permissions you do not hold there.`,
    { param: "role" },
  );
}
