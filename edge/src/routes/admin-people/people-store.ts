import type { Person } from "@sdgate/shared";
import {
  type Membership,
  membershipsFrom,
  membershipsStatement,
  USER_COLUMNS,
  type User,
  type UserRow,
  userFromRow,
} from "../../identity/directory/index.ts";

/** A person as the admin API shows them: the directory's record, their groups and memberships. */
export function personView(user: User, memberships: readonly Membership[]): Person {
  const { idp_groups, ...rest } = user;
  return { ...rest, groups: idp_groups, memberships: [...memberships] };
}

/** The people `users`, each with their memberships, read in one round trip. */
export async function peopleOf(db: D1Database, users: readonly User[]): Promise<Person[]> {
  if (users.length === 0) return [];
  const results = await db.batch(users.map((user) => membershipsStatement(db, user.id)));
  return users.map((user, i) => personView(user, membershipsFrom(results[i] as D1Result)));
}

/** Where a page of people starts: after the last one of the previous page, newest first. */
export interface PeopleCursor {
  createdAt: string;
  id: string;
}

/** A page of people, newest first; `email` matches whatever its case. */
export async function listUsers(
  db: D1Database,
  page: { limit: number; after: PeopleCursor | null; email: string | undefined },
): Promise<User[]> {
  const { results } = await db
    .prepare(
      `SELECT ${USER_COLUMNS} FROM users
       WHERE (?1 IS NULL OR (created_at, id) < (?1, ?2))
         AND (?3 IS NULL OR email = ?3 COLLATE NOCASE)
       ORDER BY created_at DESC, id DESC LIMIT ?4`,
    )
    .bind(page.after?.createdAt ?? null, page.after?.id ?? null, page.email ?? null, page.limit)
    .all<UserRow>();
  return results.map(userFromRow);
}

/** The people with these ids that exist, by id. */
export async function usersById(db: D1Database, ids: readonly string[]): Promise<Map<string, User>> {
  if (ids.length === 0) return new Map();
  const { results } = await db
    .prepare(`SELECT ${USER_COLUMNS} FROM users WHERE id IN (SELECT value FROM json_each(?))`)
    .bind(JSON.stringify(ids))
    .all<UserRow>();
  return new Map(results.map((row) => [row.id, userFromRow(row)]));
}
