import { USER_COLUMNS, type User, type UserRow, userFromRow } from "./records.ts";

/** The person `id`, disabled or not; `null` if there is none. */
export async function getUser(db: D1Database, id: string): Promise<User | null> {
  const row = await db.prepare(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`).bind(id).first<UserRow>();
  return row ? userFromRow(row) : null;
}

/** The person an identity provider knows as `subject`; `null` before their first sign-in. */
export async function findUserByIdentity(
  db: D1Database,
  issuer: string,
  subject: string,
): Promise<User | null> {
  const row = await db
    .prepare(`SELECT ${USER_COLUMNS} FROM users WHERE issuer = ? AND subject = ?`)
    .bind(issuer, subject)
    .first<UserRow>();
  return row ? userFromRow(row) : null;
}

/**
 * Marks a person disabled (`deprovisionUser` also ends their sessions and keys);
 * their memberships stay, so {@link enableUser} restores them as they were.
 */
export async function disableUser(
  db: D1Database,
  id: string,
  now: Date = new Date(),
): Promise<{ before: User; after: User } | null> {
  return setDisabledAt(db, id, now.toISOString());
}

/** Lets a disabled person sign in again. Their keys revoked by deprovisioning stay revoked. */
export async function enableUser(db: D1Database, id: string): Promise<{ before: User; after: User } | null> {
  return setDisabledAt(db, id, null);
}

async function setDisabledAt(db: D1Database, id: string, at: string | null) {
  const before = await getUser(db, id);
  if (!before) return null;
  // A person already disabled keeps the moment they were first disabled.
  const row = await db
    .prepare(
      `UPDATE users SET disabled_at = CASE WHEN ?1 IS NULL THEN NULL ELSE COALESCE(disabled_at, ?1) END WHERE id = ?2 RETURNING ${USER_COLUMNS}`,
    )
    .bind(at, id)
    .first<UserRow>();
  return row ? { before, after: userFromRow(row) } : null;
}
