import type { Result } from "@sdgate/shared";
import { newId } from "./ids.ts";
import { applyGroups } from "./memberships.ts";
import { type Membership, USER_COLUMNS, type User, type UserRow, userFromRow } from "./records.ts";
import { findUserByIdentity } from "./users.ts";

/** What an identity provider says about a person who has just proven who they are. */
export interface VerifiedIdentity {
  /** The provider's `iss` (an OIDC issuer, or the Access team domain). */
  issuer: string;
  /** Its `sub`: stable for one person at one issuer. */
  subject: string;
  email: string | null;
  name: string | null;
  /** The provider's groups for the person; role mappings turn them into memberships. */
  groups: readonly string[];
}

export interface SignedIn {
  user: User;
  memberships: Membership[];
  /** For the audit: the person and their memberships before this sign-in (`user: null` on the first). */
  before: { user: User | null; memberships: Membership[] };
}

/** `disabled`: deprovisioned, refused; `invalid_identity`: no issuer or subject. */
export type SignInProblem = "disabled" | "invalid_identity";

/**
 * Records a sign-in: the person by (issuer, subject), created on first sight, with email, name, groups
 * and `last_sign_in_at` refreshed; their rule-given memberships recomputed from `groups`, so a change
 * of groups at the IdP takes effect at the next sign-in. A disabled person is refused and nothing is
 * written. Memberships granted by hand stay as they are.
 *
 * @example
 * const result = await signIn(env.DB, { issuer, subject: claims.sub, email, name, groups: claims.groups });
 * if (!result.ok) return c.json({ error: result.error }, 403);
 */
export async function signIn(
  db: D1Database,
  identity: VerifiedIdentity,
  now: Date = new Date(),
): Promise<Result<SignedIn, SignInProblem>> {
  if (identity.issuer === "" || identity.subject === "") return { ok: false, error: "invalid_identity" };
  const before = await findUserByIdentity(db, identity.issuer, identity.subject);
  if (before?.disabled_at) return { ok: false, error: "disabled" };
  const groups = [...new Set(identity.groups)].sort();
  const at = now.toISOString();
  // A person disabled between the read and this write stays untouched: no row comes back.
  const row = await db
    .prepare(
      `INSERT INTO users (id, issuer, subject, email, name, idp_groups, created_at, last_sign_in_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (issuer, subject) DO UPDATE SET email = excluded.email, name = excluded.name,
         idp_groups = excluded.idp_groups, last_sign_in_at = excluded.last_sign_in_at
       WHERE users.disabled_at IS NULL
       RETURNING ${USER_COLUMNS}`,
    )
    .bind(
      newId("usr"),
      identity.issuer,
      identity.subject,
      identity.email,
      identity.name,
      JSON.stringify(groups),
      at,
      at,
    )
    .first<UserRow>();
  if (!row) return { ok: false, error: "disabled" };
  const user = userFromRow(row);
  const memberships = await applyGroups(db, user.id, groups, now);
  return {
    ok: true,
    value: {
      user,
      memberships: memberships.after,
      before: { user: before, memberships: memberships.before },
    },
  };
}
