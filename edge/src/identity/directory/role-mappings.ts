import type { Result, Role } from "@sdgate/shared";
import { newId } from "./ids.ts";
import { type MembershipChange, reapplyGroup } from "./memberships.ts";
import { type Change, roleFromRow } from "./records.ts";
import type { RoleRule } from "./rules.ts";
import { getTeam } from "./teams.ts";

/** A rule as D1 records it (`role_mappings`). */
export interface RoleMapping extends RoleRule {
  id: string;
  created_at: string;
  created_by: string;
}

/** A rule change and what it did to people's memberships, for the audit. */
export interface RoleMappingChange extends Change<RoleMapping> {
  memberships: MembershipChange[];
}

export type RoleMappingProblem =
  | "invalid_group"
  | "team_not_found"
  /** `admin` is a global role: a rule giving it names no team. */
  | "admin_is_global"
  /** The group already has a rule for that scope: change its role instead. */
  | "duplicate";

const COLUMNS = "id, idp_group, team_id, role, created_at, created_by";

type Row = Omit<RoleMapping, "role"> & { role: string };
const fromRow = (row: Row): RoleMapping => ({
  ...row,
  role: roleFromRow(row.role, `Role mapping ${row.id}`),
});

export async function getRoleMapping(db: D1Database, id: string): Promise<RoleMapping | null> {
  const row = await db.prepare(`SELECT ${COLUMNS} FROM role_mappings WHERE id = ?`).bind(id).first<Row>();
  return row ? fromRow(row) : null;
}

/** Every rule, by group, the global one of a group first. */
export async function listRoleMappings(db: D1Database): Promise<RoleMapping[]> {
  const { results } = await db
    .prepare(`SELECT ${COLUMNS} FROM role_mappings ORDER BY idp_group, COALESCE(team_id, ''), id`)
    .all<Row>();
  return results.map(fromRow);
}

/**
 * Adds a rule: members of `idp_group` get `role` in `team_id` (`null`: globally). It applies at once to
 * the people whose groups at their last sign-in include the group (the groups that sign-in's session
 * was opened with), and to everyone else at their next sign-in.
 *
 * @example
 * await createRoleMapping(env.DB, { idp_group: "ml-eng", team_id: team.id, role: "developer", created_by: actor });
 */
export async function createRoleMapping(
  db: D1Database,
  rule: RoleRule & { created_by: string },
  now: Date = new Date(),
): Promise<Result<RoleMappingChange & { after: RoleMapping }, RoleMappingProblem>> {
  const group = rule.idp_group.trim();
  if (group === "" || group !== rule.idp_group) return { ok: false, error: "invalid_group" };
  const scope = await checkScope(db, rule.team_id, rule.role);
  if (scope !== null) return { ok: false, error: scope };
  const row = await db
    .prepare(
      `INSERT INTO role_mappings (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING ${COLUMNS}`,
    )
    .bind(newId("map"), group, rule.team_id, rule.role, now.toISOString(), rule.created_by)
    .first<Row>();
  if (!row) return { ok: false, error: "duplicate" };
  const memberships = await reapplyGroup(db, group, now);
  return { ok: true, value: { before: null, after: fromRow(row), memberships } };
}

/** Changes the role a rule gives; people in its group get the new role at once. */
export async function changeRoleMapping(
  db: D1Database,
  id: string,
  role: Role,
  now: Date = new Date(),
): Promise<
  Result<RoleMappingChange & { before: RoleMapping; after: RoleMapping }, "not_found" | "admin_is_global">
> {
  const before = await getRoleMapping(db, id);
  if (!before) return { ok: false, error: "not_found" };
  if (role === "admin" && before.team_id !== null) return { ok: false, error: "admin_is_global" };
  const row = await db
    .prepare(`UPDATE role_mappings SET role = ? WHERE id = ? RETURNING ${COLUMNS}`)
    .bind(role, id)
    .first<Row>();
  if (!row) return { ok: false, error: "not_found" };
  const memberships = await reapplyGroup(db, before.idp_group, now);
  return { ok: true, value: { before, after: fromRow(row), memberships } };
}

/**
 * Deletes a rule. The memberships it gave end at once (every request re-reads memberships); people
 * whose groups give them another role in that scope get it straight away.
 */
export async function deleteRoleMapping(
  db: D1Database,
  id: string,
  now: Date = new Date(),
): Promise<Result<RoleMappingChange & { before: RoleMapping; after: null }, "not_found">> {
  const row = await db
    .prepare(`DELETE FROM role_mappings WHERE id = ? RETURNING ${COLUMNS}`)
    .bind(id)
    .first<Row>();
  if (!row) return { ok: false, error: "not_found" };
  const before = fromRow(row);
  const memberships = await reapplyGroup(db, before.idp_group, now);
  return { ok: true, value: { before, after: null, memberships } };
}

/** Deletes every rule for an IdP group (without re-applying anything); answers them, by id. */
export async function deleteRoleMappingsOf(db: D1Database, group: string): Promise<RoleMapping[]> {
  const { results } = await db
    .prepare(`DELETE FROM role_mappings WHERE idp_group = ? RETURNING ${COLUMNS}`)
    .bind(group)
    .all<Row>();
  return results.map(fromRow).sort((a, b) => (a.id < b.id ? -1 : 1));
}

async function checkScope(
  db: D1Database,
  teamId: string | null,
  role: Role,
): Promise<"team_not_found" | "admin_is_global" | null> {
  if (teamId === null) return null;
  if (role === "admin") return "admin_is_global";
  return (await getTeam(db, teamId)) ? null : "team_not_found";
}
