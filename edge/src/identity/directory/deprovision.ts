import type { Result } from "@sdgate/shared";
import { revokeAllSessions } from "../sessions/sessions.ts";
import { liveKeysCreatedBy } from "./key-owners.ts";
import { type MembershipChange, membershipsOf, reapplyGroup } from "./memberships.ts";
import type { User } from "./records.ts";
import { deleteRoleMappingsOf, type RoleMapping } from "./role-mappings.ts";
import { disableUser, getUser } from "./users.ts";

export interface DeprovisionOptions {
  /**
   * Revokes one key everywhere it is checked (D1, its Durable Object, KV): the keys service's
   * `revokeKey`, e.g. `(id) => revokeKey(c.var.config, id)`. Only `ok` matters here.
   */
  revokeKey: (keyId: string) => Promise<{ ok: boolean }>;
  /**
   * A person who takes over the keys instead of their being revoked: a global admin, or for each key
   * a `team_admin` of the key's team (a key without a team needs a global admin).
   */
  reassignKeysTo?: string;
  now?: Date;
}

export interface Deprovisioned {
  user: { before: User; after: User };
  sessions_revoked: number;
  keys_revoked: string[];
  /** For the audit: each key's maker changed from the person deprovisioned to `to`. */
  keys_reassigned: { key_id: string; from: string; to: string }[];
}

/**
 * `successor_unavailable`: the person to take the keys is unknown, disabled or the one deprovisioned;
 * `successor_not_team_admin`: they may not hold some of the keys. Nothing changes on either.
 */
export type DeprovisionProblem = "user_not_found" | "successor_unavailable" | "successor_not_team_admin";

/**
 * Removes a person: disables them (no sign-in), ends all their sessions at once, then revokes every
 * key they made that still works, unless `reassignKeysTo` takes them over. Their memberships stay
 * (in the record, and should they be enabled again). Safe to run again: should revoking a key fail
 * half-way, the person is already disabled and signed out, and a rerun revokes what is left.
 *
 * @example
 * const result = await deprovisionUser(env.DB, userId, { revokeKey: (id) => revokeKey(config, id) });
 */
export async function deprovisionUser(
  db: D1Database,
  userId: string,
  options: DeprovisionOptions,
): Promise<Result<Deprovisioned, DeprovisionProblem>> {
  const now = options.now ?? new Date();
  if (!(await getUser(db, userId))) return { ok: false, error: "user_not_found" };
  const keys = await liveKeysCreatedBy(db, userId);
  const successor = options.reassignKeysTo;
  if (successor !== undefined) {
    const problem = await successorProblem(db, userId, successor, keys);
    if (problem) return { ok: false, error: problem };
  }
  const user = await disableUser(db, userId, now);
  if (!user) return { ok: false, error: "user_not_found" };
  const sessionsRevoked = await revokeAllSessions(db, userId, now);
  const revoked: string[] = [];
  const reassigned: Deprovisioned["keys_reassigned"] = [];
  if (successor !== undefined && keys.length > 0) {
    await db.batch(
      keys.map((key) =>
        db
          .prepare("UPDATE api_keys SET created_by_user_id = ? WHERE id = ? AND created_by_user_id = ?")
          .bind(successor, key.id, userId),
      ),
    );
    for (const key of keys) reassigned.push({ key_id: key.id, from: userId, to: successor });
  } else {
    for (const key of keys) if ((await options.revokeKey(key.id)).ok) revoked.push(key.id);
  }
  return {
    ok: true,
    value: { user, sessions_revoked: sessionsRevoked, keys_revoked: revoked, keys_reassigned: reassigned },
  };
}

async function successorProblem(
  db: D1Database,
  userId: string,
  successorId: string,
  keys: readonly { team_id: string | null }[],
): Promise<DeprovisionProblem | null> {
  const successor = await getUser(db, successorId);
  if (!successor || successor.disabled_at !== null || successorId === userId) return "successor_unavailable";
  const memberships = await membershipsOf(db, successorId);
  if (memberships.some((m) => m.team_id === null && m.role === "admin")) return null;
  const adminOf = new Set(memberships.filter((m) => m.role === "team_admin").map((m) => m.team_id));
  return keys.every((key) => key.team_id !== null && adminOf.has(key.team_id))
    ? null
    : "successor_not_team_admin";
}

export interface DeprovisionedGroup {
  /** The rules for the group, all deleted. */
  role_mappings: { before: RoleMapping[]; after: [] };
  /** The people whose memberships changed. */
  memberships: MembershipChange[];
  /** People left with no membership at all, whose sessions ended. */
  sessions_ended: { user_id: string; sessions_revoked: number }[];
}

/**
 * Removes an IdP group from sdgate: deletes its role mappings and drops it from everyone's groups as
 * of their last sign-in, recomputing their memberships at once (every request re-reads them, so what
 * the group gave stops at the next request). People whose memberships all came from it are left with
 * none; their sessions end now. Memberships given by hand stay. Should the IdP still send the group,
 * it gives nothing until a rule names it again.
 */
export async function deprovisionGroup(
  db: D1Database,
  group: string,
  now: Date = new Date(),
): Promise<DeprovisionedGroup> {
  const mappings = await deleteRoleMappingsOf(db, group);
  const memberships = await reapplyGroup(db, group, now, { withoutGroup: true });
  const sessionsEnded: DeprovisionedGroup["sessions_ended"] = [];
  for (const change of memberships)
    if (change.before.length > 0 && change.after.length === 0)
      sessionsEnded.push({
        user_id: change.user_id,
        sessions_revoked: await revokeAllSessions(db, change.user_id, now),
      });
  return { role_mappings: { before: mappings, after: [] }, memberships, sessions_ended: sessionsEnded };
}
