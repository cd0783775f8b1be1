import type { Result } from "@sdgate/shared";
import { newId } from "./ids.ts";
import { membershipsFrom, teamMembershipsStatement } from "./memberships.ts";
import type { Change, Membership, Team } from "./records.ts";

/** The longest team name, in UTF-16 code units. */
export const MAX_TEAM_NAME_CHARS = 64;

export type TeamNameProblem = "invalid_name" | "name_taken";

const isControl = (char: string) => {
  const code = char.charCodeAt(0);
  return code < 0x20 || code === 0x7f;
};

/** A trimmed name of 1 to {@link MAX_TEAM_NAME_CHARS} characters without control characters, or `null`. */
function teamName(name: string): string | null {
  const trimmed = name.trim();
  const ok = trimmed.length > 0 && trimmed.length <= MAX_TEAM_NAME_CHARS && ![...trimmed].some(isControl);
  return ok ? trimmed : null;
}

export async function getTeam(db: D1Database, id: string): Promise<Team | null> {
  return db.prepare("SELECT id, name, created_at FROM teams WHERE id = ?").bind(id).first<Team>();
}

/** Every team, by name. */
export async function listTeams(db: D1Database): Promise<Team[]> {
  const { results } = await db
    .prepare("SELECT id, name, created_at FROM teams ORDER BY name, id")
    .all<Team>();
  return results;
}

/**
 * Creates a team. Names are unique whatever their case (`Search` and `search` are one team).
 *
 * @example
 * const created = await createTeam(env.DB, "Search");
 * if (created.ok) audit("team.create", created.value); // { before: null, after: { id: "team_…", … } }
 */
export async function createTeam(
  db: D1Database,
  name: string,
  now: Date = new Date(),
): Promise<Result<Change<Team> & { after: Team }, TeamNameProblem>> {
  const valid = teamName(name);
  if (valid === null) return { ok: false, error: "invalid_name" };
  const team = await db
    .prepare(
      "INSERT INTO teams (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING RETURNING id, name, created_at",
    )
    .bind(newId("team"), valid, now.toISOString())
    .first<Team>();
  return team ? { ok: true, value: { before: null, after: team } } : { ok: false, error: "name_taken" };
}

export async function renameTeam(
  db: D1Database,
  id: string,
  name: string,
): Promise<Result<{ before: Team; after: Team }, TeamNameProblem | "not_found">> {
  const valid = teamName(name);
  if (valid === null) return { ok: false, error: "invalid_name" };
  const before = await getTeam(db, id);
  if (!before) return { ok: false, error: "not_found" };
  const after = await db
    .prepare("UPDATE OR IGNORE teams SET name = ? WHERE id = ? RETURNING id, name, created_at")
    .bind(valid, id)
    .first<Team>();
  if (after) return { ok: true, value: { before, after } };
  return (await getTeam(db, id)) ? { ok: false, error: "name_taken" } : { ok: false, error: "not_found" };
}

/** What a deleted team took with it, for the audit. */
export interface DeletedTeam {
  team: Team;
  memberships: Membership[];
  role_mapping_ids: string[];
}

/**
 * Deletes a team with its memberships and the role mappings that pointed at it. Refused while the team
 * owns a key that still works (`has_live_keys`): revoke or move those first. Revoked keys keep the
 * team's id as history.
 */
export async function deleteTeam(
  db: D1Database,
  id: string,
): Promise<Result<{ before: DeletedTeam; after: null }, "not_found" | "has_live_keys">> {
  const team = await getTeam(db, id);
  if (!team) return { ok: false, error: "not_found" };
  const [members, mappings] = await db.batch([
    teamMembershipsStatement(db, id),
    db.prepare("SELECT id FROM role_mappings WHERE team_id = ? ORDER BY id").bind(id),
  ]);
  // Each statement re-checks for live keys, so a key created meanwhile leaves the team whole.
  const noLiveKeys = "NOT EXISTS (SELECT 1 FROM api_keys WHERE team_id = ?1 AND revoked_at IS NULL)";
  const [, , deleted] = await db.batch([
    db.prepare(`DELETE FROM memberships WHERE team_id = ?1 AND ${noLiveKeys}`).bind(id),
    db.prepare(`DELETE FROM role_mappings WHERE team_id = ?1 AND ${noLiveKeys}`).bind(id),
    db.prepare(`DELETE FROM teams WHERE id = ?1 AND ${noLiveKeys}`).bind(id),
  ]);
  if (!deleted?.meta.changes) return { ok: false, error: "has_live_keys" };
  return {
    ok: true,
    value: {
      before: {
        team,
        memberships: members ? membershipsFrom(members) : [],
        role_mapping_ids: ((mappings?.results ?? []) as { id: string }[]).map((m) => m.id),
      },
      after: null,
    },
  };
}
