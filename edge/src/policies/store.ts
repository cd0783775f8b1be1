import { type PromptPolicy, type PromptPolicyInput, promptPolicySchema, randomHex } from "@sdgate/shared";
import { forgetTeamPolicy } from "./cache.ts";
import { COLUMNS, type PolicyRow, policyFromRow } from "./row.ts";

/** A team's policy as D1 keeps it, with who last set it. */
export interface StoredPolicy {
  policy: PromptPolicy;
  updated_at: string;
  updated_by: string;
}

/** What an admin sets: the rules and whether violations keep the prompt; the id and scope are the store's. */
export type PolicyInput = Pick<PromptPolicyInput, "rules" | "record_prompt">;

function stored(row: PolicyRow): StoredPolicy {
  return { policy: policyFromRow(row), updated_at: row.updated_at, updated_by: row.updated_by };
}

export async function getTeamPolicy(db: D1Database, teamId: string): Promise<StoredPolicy | null> {
  const row = await db
    .prepare(`SELECT ${COLUMNS} FROM prompt_policies WHERE team_id = ?`)
    .bind(teamId)
    .first<PolicyRow>();
  return row ? stored(row) : null;
}

/**
 * Sets a team's policy, keeping its id when it has one, and returns it before and after for the
 * audit. The team must exist (D1's foreign key refuses others). This isolate forgets its cached copy
 * at once; others see the change within the cache's TTL.
 *
 * @example
 * const { before, after } = await setTeamPolicy(env.DB, team.id, { rules, record_prompt: false }, { by: "admin" });
 */
export async function setTeamPolicy(
  db: D1Database,
  teamId: string,
  input: PolicyInput,
  options: { by: string; now?: Date },
): Promise<{ before: StoredPolicy | null; after: StoredPolicy }> {
  const policy = promptPolicySchema.parse({
    id: `pol_${randomHex(8)}`,
    scope: { team_id: teamId },
    ...input,
  });
  const [previous, written] = await db.batch<PolicyRow>([
    db.prepare(`SELECT ${COLUMNS} FROM prompt_policies WHERE team_id = ?`).bind(teamId),
    db
      .prepare(
        `INSERT INTO prompt_policies (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (team_id) DO UPDATE SET rules = excluded.rules, record_prompt = excluded.record_prompt,
           updated_at = excluded.updated_at, updated_by = excluded.updated_by
         RETURNING ${COLUMNS}`,
      )
      .bind(
        policy.id,
        teamId,
        JSON.stringify(policy.rules),
        policy.record_prompt ? 1 : 0,
        (options.now ?? new Date()).toISOString(),
        options.by,
      ),
  ]);
  forgetTeamPolicy(db, teamId);
  const before = previous?.results[0];
  const after = written?.results[0];
  if (after === undefined) throw new Error(`Prompt policy of ${teamId} was not written.`);
  return { before: before ? stored(before) : null, after: stored(after) };
}

/** Removes a team's policy; `before` is `null` when it had none. */
export async function removeTeamPolicy(
  db: D1Database,
  teamId: string,
): Promise<{ before: StoredPolicy | null; after: null }> {
  const row = await db
    .prepare(`DELETE FROM prompt_policies WHERE team_id = ? RETURNING ${COLUMNS}`)
    .bind(teamId)
    .first<PolicyRow>();
  forgetTeamPolicy(db, teamId);
  return { before: row ? stored(row) : null, after: null };
}
