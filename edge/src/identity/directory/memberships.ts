import { type Membership, roleFromRow } from "./records.ts";
import { type Grant, grantsFor, type RoleRule } from "./rules.ts";

type MembershipRow = Omit<Membership, "role"> & { role: string };

const MEMBERSHIP_SELECT = `SELECT m.user_id, m.team_id, t.name AS team_name, m.role, m.source_group, m.created_at
  FROM memberships m LEFT JOIN teams t ON t.id = m.team_id`;

function fromRow(row: MembershipRow): Membership {
  return { ...row, role: roleFromRow(row.role, `Membership of ${row.user_id}`) };
}

/** The statement that reads a person's memberships, for a caller batching it with others. */
export function membershipsStatement(db: D1Database, userId: string): D1PreparedStatement {
  return db
    .prepare(`${MEMBERSHIP_SELECT} WHERE m.user_id = ? ORDER BY COALESCE(m.team_id, ''), m.role`)
    .bind(userId);
}

/** The statement that reads a team's memberships, by person. */
export function teamMembershipsStatement(db: D1Database, teamId: string): D1PreparedStatement {
  return db.prepare(`${MEMBERSHIP_SELECT} WHERE m.team_id = ? ORDER BY m.user_id`).bind(teamId);
}

/** Parses what {@link membershipsStatement} or {@link teamMembershipsStatement} read. */
export function membershipsFrom(result: D1Result): Membership[] {
  return (result.results as MembershipRow[]).map(fromRow);
}

/** A person's memberships, the global one first, then by team id. */
export async function membershipsOf(db: D1Database, userId: string): Promise<Membership[]> {
  return membershipsFrom(await membershipsStatement(db, userId).all<MembershipRow>());
}

/** The membership of a person in one scope (`teamId: null`: global), if any. */
export async function membershipIn(
  db: D1Database,
  userId: string,
  teamId: string | null,
): Promise<Membership | null> {
  const row = await db
    .prepare(`${MEMBERSHIP_SELECT} WHERE m.user_id = ? AND COALESCE(m.team_id, '') = ?`)
    .bind(userId, teamId ?? "")
    .first<MembershipRow>();
  return row ? fromRow(row) : null;
}

/** The role-mapping rules that name any of `groups`. */
export async function rulesFor(db: D1Database, groups: readonly string[]): Promise<RoleRule[]> {
  if (groups.length === 0) return [];
  const { results } = await db
    .prepare(
      "SELECT idp_group, team_id, role FROM role_mappings WHERE idp_group IN (SELECT value FROM json_each(?))",
    )
    .bind(JSON.stringify(groups))
    .all<{ idp_group: string; team_id: string | null; role: string }>();
  return results.map((r) => ({ ...r, role: roleFromRow(r.role, `Role mapping for ${r.idp_group}`) }));
}

const sameGrant = (m: Membership, g: Grant) =>
  m.team_id === g.team_id && m.role === g.role && m.source_group === g.source_group;

/**
 * Makes a person's rule-given memberships what `groups` give under the current rules, leaving the
 * ones granted by hand alone (a scope granted by hand is not overridden by a rule). Writes only what
 * changed, in one batch, and answers the memberships before and after.
 */
export async function applyGroups(
  db: D1Database,
  userId: string,
  groups: readonly string[],
  now: Date,
): Promise<{ before: Membership[]; after: Membership[] }> {
  const [before, rules] = await Promise.all([membershipsOf(db, userId), rulesFor(db, groups)]);
  const manual = new Set(before.filter((m) => m.source_group === null).map((m) => m.team_id ?? ""));
  const wanted = grantsFor(rules, groups).filter((g) => !manual.has(g.team_id ?? ""));
  const fromRules = before.filter((m) => m.source_group !== null);
  const stale = fromRules.filter((m) => !wanted.some((g) => sameGrant(m, g)));
  const fresh = wanted.filter((g) => !fromRules.some((m) => sameGrant(m, g)));
  if (stale.length === 0 && fresh.length === 0) return { before, after: before };
  await db.batch([
    ...stale.map((m) =>
      db
        .prepare(
          "DELETE FROM memberships WHERE user_id = ? AND COALESCE(team_id, '') = ? AND source_group IS NOT NULL",
        )
        .bind(userId, m.team_id ?? ""),
    ),
    // A hand grant made meanwhile for the same scope wins: the rule's row is then not written.
    ...fresh.map((g) =>
      db
        .prepare(
          "INSERT INTO memberships (user_id, team_id, role, source_group, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        )
        .bind(userId, g.team_id, g.role, g.source_group, now.toISOString()),
    ),
  ]);
  return { before, after: await membershipsOf(db, userId) };
}

/** How one person's memberships changed, for the audit. */
export interface MembershipChange {
  user_id: string;
  before: Membership[];
  after: Membership[];
}

/**
 * Re-applies the rules to everyone whose groups at their last sign-in include `group` (after a rule
 * for it changed), optionally as though they had left `withoutGroup`. Answers the people whose
 * memberships changed.
 */
export async function reapplyGroup(
  db: D1Database,
  group: string,
  now: Date,
  options: { withoutGroup?: boolean } = {},
): Promise<MembershipChange[]> {
  const { results } = await db
    .prepare(
      "SELECT id, idp_groups FROM users WHERE EXISTS (SELECT 1 FROM json_each(users.idp_groups) WHERE value = ?)",
    )
    .bind(group)
    .all<{ id: string; idp_groups: string }>();
  const changes: MembershipChange[] = [];
  for (const row of results) {
    const held = (JSON.parse(row.idp_groups) as unknown[]).map(String);
    const groups = options.withoutGroup ? held.filter((g) => g !== group) : held;
    if (options.withoutGroup)
      await db
        .prepare("UPDATE users SET idp_groups = ? WHERE id = ?")
        .bind(JSON.stringify(groups), row.id)
        .run();
    const { before, after } = await applyGroups(db, row.id, groups, now);
    if (before !== after) changes.push({ user_id: row.id, before, after });
  }
  return changes;
}

/** The statement that reads the memberships of the person a session belongs to, by its hash. */
export function sessionMembershipsStatement(db: D1Database, sessionHash: string): D1PreparedStatement {
  return db
    .prepare(
      `${MEMBERSHIP_SELECT} WHERE m.user_id = (SELECT user_id FROM sessions WHERE id_hash = ?) ORDER BY COALESCE(m.team_id, ''), m.role`,
    )
    .bind(sessionHash);
}
