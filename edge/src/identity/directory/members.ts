import type { Result, Role } from "@sdgate/shared";
import { membershipIn, membershipsFrom, teamMembershipsStatement } from "./memberships.ts";
import type { Membership } from "./records.ts";
import { getTeam } from "./teams.ts";
import { getUser } from "./users.ts";

/** A person's place in a team (`team_id: null`: a global role). */
export interface MemberScope {
  user_id: string;
  team_id: string | null;
}

export type AddMemberProblem = "user_not_found" | "team_not_found" | "admin_is_global" | "already_member";

/** The members of a team, by person id. */
export async function listTeamMembers(db: D1Database, teamId: string): Promise<Membership[]> {
  return membershipsFrom(await teamMembershipsStatement(db, teamId).all());
}

/**
 * Gives a person a role by hand in a team, or globally (`team_id: null`; the only scope for `admin`).
 * Sign-in leaves hand-given memberships alone, and a rule does not override one.
 *
 * @example
 * const added = await addMember(env.DB, { user_id, team_id: team.id, role: "developer" });
 * if (added.ok) audit("member.add", added.value); // { before: null, after: Membership }
 */
export async function addMember(
  db: D1Database,
  member: MemberScope & { role: Role },
  now: Date = new Date(),
): Promise<Result<{ before: null; after: Membership }, AddMemberProblem>> {
  if (member.role === "admin" && member.team_id !== null) return { ok: false, error: "admin_is_global" };
  if (!(await getUser(db, member.user_id))) return { ok: false, error: "user_not_found" };
  if (member.team_id !== null && !(await getTeam(db, member.team_id)))
    return { ok: false, error: "team_not_found" };
  const inserted = await db
    .prepare(
      "INSERT INTO memberships (user_id, team_id, role, source_group, created_at) VALUES (?, ?, ?, NULL, ?) ON CONFLICT DO NOTHING",
    )
    .bind(member.user_id, member.team_id, member.role, now.toISOString())
    .run();
  if (!inserted.meta.changes) return { ok: false, error: "already_member" };
  const after = await membershipIn(db, member.user_id, member.team_id);
  return after ? { ok: true, value: { before: null, after } } : { ok: false, error: "team_not_found" };
}

/**
 * Changes a person's role in a scope. The membership becomes hand-given even if a rule gave it, so
 * the next sign-in keeps the role an admin chose instead of recomputing it.
 */
export async function changeMemberRole(
  db: D1Database,
  member: MemberScope & { role: Role },
): Promise<Result<{ before: Membership; after: Membership }, "not_found" | "admin_is_global">> {
  if (member.role === "admin" && member.team_id !== null) return { ok: false, error: "admin_is_global" };
  const before = await membershipIn(db, member.user_id, member.team_id);
  if (!before) return { ok: false, error: "not_found" };
  await db
    .prepare(
      "UPDATE memberships SET role = ?, source_group = NULL WHERE user_id = ? AND COALESCE(team_id, '') = ?",
    )
    .bind(member.role, member.user_id, member.team_id ?? "")
    .run();
  const after = await membershipIn(db, member.user_id, member.team_id);
  return after ? { ok: true, value: { before, after } } : { ok: false, error: "not_found" };
}

/**
 * Removes a person from a team (or their global role). A rule-given membership comes back at their
 * next sign-in while the rule and their group stand: change the rule or the group at the IdP, or
 * deprovision the person, to keep them out.
 */
export async function removeMember(
  db: D1Database,
  member: MemberScope,
): Promise<Result<{ before: Membership; after: null }, "not_found">> {
  const before = await membershipIn(db, member.user_id, member.team_id);
  if (!before) return { ok: false, error: "not_found" };
  await db
    .prepare("DELETE FROM memberships WHERE user_id = ? AND COALESCE(team_id, '') = ?")
    .bind(member.user_id, member.team_id ?? "")
    .run();
  return { ok: true, value: { before, after: null } };
}
