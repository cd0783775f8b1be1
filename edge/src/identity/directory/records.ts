import { type Role, roleSchema } from "@sdgate/shared";

/** A person as D1 records them (edge/migrations/0008_identity.sql `users`). */
export interface User {
  id: string;
  issuer: string;
  subject: string;
  email: string | null;
  name: string | null;
  /** The IdP's groups at the last sign-in. */
  idp_groups: string[];
  created_at: string;
  last_sign_in_at: string | null;
  disabled_at: string | null;
}

/** A person's role in a team, or globally (`team_id: null`). */
export interface Membership {
  user_id: string;
  team_id: string | null;
  team_name: string | null;
  role: Role;
  /** The IdP group whose rule gave it; `null`: granted by hand. */
  source_group: string | null;
  created_at: string;
}

export interface Team {
  id: string;
  name: string;
  created_at: string;
}

/** A change, as the audit records it: `null` where the thing did not exist before or after. */
export interface Change<T> {
  before: T | null;
  after: T | null;
}

/** Raised when a D1 row does not parse: a server-side problem, never the caller's. */
export class CorruptDirectoryRowError extends Error {
  override readonly name = "CorruptDirectoryRowError";
}

export type UserRow = Omit<User, "idp_groups"> & { idp_groups: string };

export const USER_COLUMNS =
  "id, issuer, subject, email, name, idp_groups, created_at, last_sign_in_at, disabled_at";

export function userFromRow(row: UserRow): User {
  const groups = JSON.parse(row.idp_groups) as unknown;
  if (!Array.isArray(groups)) throw new CorruptDirectoryRowError(`User ${row.id} has malformed groups.`);
  return { ...row, idp_groups: groups.map(String) };
}

/** A role read back from D1 (its CHECK constraint admits only `ROLES`). */
export function roleFromRow(role: string, owner: string): Role {
  const parsed = roleSchema.safeParse(role);
  if (!parsed.success) throw new CorruptDirectoryRowError(`${owner} has an unknown role ${role}.`);
  return parsed.data;
}
