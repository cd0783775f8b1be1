import { teamModelsViewSchema } from "@sdgate/shared";
import { forgetTeamPolicy } from "./cache.ts";
import { CorruptPolicyRowError } from "./row.ts";

const grants = teamModelsViewSchema.shape.models;

/** The grants a `teams.models` cell holds; one that does not parse throws rather than grant everything. */
function grantsFrom(text: string | null): string[] | null {
  let parsed: unknown;
  try {
    parsed = text === null ? null : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const checked = grants.safeParse(parsed);
  if (!checked.success) throw new CorruptPolicyRowError("A team's model grants are malformed in D1.");
  return checked.data;
}

/**
 * The model references a team is granted (`null`: every model), or `undefined` when there is no such
 * team.
 */
export async function getTeamModels(db: D1Database, teamId: string): Promise<string[] | null | undefined> {
  const row = await db
    .prepare("SELECT models FROM teams WHERE id = ?")
    .bind(teamId)
    .first<{ models: string | null }>();
  return row === null ? undefined : grantsFrom(row.models);
}

/**
 * Sets the model references a team's keys may use (`null`: every model) and returns them before and
 * after for the audit; `undefined` when there is no such team. Which references exist is the
 * caller's to check (`checkModelGrants`). This isolate forgets its cached copy at once; others see
 * the change within the policy cache's TTL.
 *
 * @example
 * const change = await setTeamModels(env.DB, team.id, ["sd15@production"]);
 */
export async function setTeamModels(
  db: D1Database,
  teamId: string,
  models: readonly string[] | null,
): Promise<{ before: string[] | null; after: string[] | null } | undefined> {
  const [previous, written] = await db.batch<{ models: string | null }>([
    db.prepare("SELECT models FROM teams WHERE id = ?").bind(teamId),
    db
      .prepare("UPDATE teams SET models = ? WHERE id = ? RETURNING models")
      .bind(models === null ? null : JSON.stringify(models), teamId),
  ]);
  forgetTeamPolicy(db, teamId);
  const before = previous?.results[0];
  const after = written?.results[0];
  if (before === undefined || after === undefined) return undefined;
  return { before: grantsFrom(before.models), after: grantsFrom(after.models) };
}
