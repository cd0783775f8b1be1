import { type PromptPolicy, promptPolicySchema, randomHex, type SafetySetting } from "@sdgate/shared";
import { forgetResolutions } from "../model-registry/serving.ts";
import { policyFromRow } from "./row.ts";
import type { PolicyInput } from "./store.ts";

/** An alias's policy as D1 keeps it (`alias` `*`: the model's default), with who last set it. */
export interface StoredAliasPolicy {
  alias: string;
  policy: PromptPolicy;
  safety_check: SafetySetting;
  updated_at: string;
  updated_by: string;
}

/** What an admin sets for an alias: a team policy's fields and the output safety check. */
export type AliasPolicyInput = PolicyInput & { safety_check: SafetySetting };

interface AliasPolicyRow {
  id: string;
  model_id: string;
  alias: string;
  rules: string;
  record_prompt: number;
  safety_check: SafetySetting | null;
  updated_at: string;
  updated_by: string;
}

const COLUMNS = "id, model_id, alias, rules, record_prompt, safety_check, updated_at, updated_by";

function stored(row: AliasPolicyRow): StoredAliasPolicy {
  return {
    alias: row.alias,
    policy: policyFromRow({ ...row, team_id: null }, { model: row.model_id, alias: row.alias }),
    safety_check: row.safety_check ?? "off",
    updated_at: row.updated_at,
    updated_by: row.updated_by,
  };
}

/** The policy of one alias of a model (or of `*`, its default); `null` when it has none. */
export async function getAliasPolicy(
  db: D1Database,
  modelId: string,
  alias: string,
): Promise<StoredAliasPolicy | null> {
  const row = await db
    .prepare(`SELECT ${COLUMNS} FROM prompt_policies WHERE model_id = ? AND alias = ?`)
    .bind(modelId, alias)
    .first<AliasPolicyRow>();
  return row ? stored(row) : null;
}

/** Every alias policy of a model, by alias (`*` first). */
export async function listAliasPolicies(db: D1Database, modelId: string): Promise<StoredAliasPolicy[]> {
  const { results } = await db
    .prepare(`SELECT ${COLUMNS} FROM prompt_policies WHERE model_id = ? ORDER BY alias`)
    .bind(modelId)
    .all<AliasPolicyRow>();
  return results.map(stored);
}

/**
 * Sets an alias's policy (keeping its id when it has one) and returns it before and after for the
 * audit. The model must exist (D1's foreign key refuses others); the alias need not yet. This
 * isolate forgets the model's cached resolutions at once (they carry the alias's policy); others
 * see the change within their TTL.
 *
 * @example
 * await setAliasPolicy(env.DB, "sd15", "production", { rules, record_prompt: false, safety_check: "blur" }, { by: "admin" });
 */
export async function setAliasPolicy(
  db: D1Database,
  modelId: string,
  alias: string,
  input: AliasPolicyInput,
  options: { by: string; now?: Date },
): Promise<{ before: StoredAliasPolicy | null; after: StoredAliasPolicy }> {
  const policy = promptPolicySchema.parse({
    id: `pol_${randomHex(8)}`,
    scope: { model: modelId, alias },
    rules: input.rules,
    record_prompt: input.record_prompt,
  });
  const [previous, written] = await db.batch<AliasPolicyRow>([
    db
      .prepare(`SELECT ${COLUMNS} FROM prompt_policies WHERE model_id = ? AND alias = ?`)
      .bind(modelId, alias),
    db
      .prepare(
        `INSERT INTO prompt_policies (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (model_id, alias) WHERE model_id IS NOT NULL DO UPDATE SET rules = excluded.rules,
           record_prompt = excluded.record_prompt, safety_check = excluded.safety_check,
           updated_at = excluded.updated_at, updated_by = excluded.updated_by
         RETURNING ${COLUMNS}`,
      )
      .bind(
        policy.id,
        modelId,
        alias,
        JSON.stringify(policy.rules),
        policy.record_prompt ? 1 : 0,
        input.safety_check,
        (options.now ?? new Date()).toISOString(),
        options.by,
      ),
  ]);
  forgetResolutions(db, modelId);
  const before = previous?.results[0];
  const after = written?.results[0];
  if (after === undefined) throw new Error(`Prompt policy of ${modelId}@${alias} was not written.`);
  return { before: before ? stored(before) : null, after: stored(after) };
}

/** Removes an alias's policy; `before` is `null` when it had none. */
export async function removeAliasPolicy(
  db: D1Database,
  modelId: string,
  alias: string,
): Promise<{ before: StoredAliasPolicy | null; after: null }> {
  const row = await db
    .prepare(`DELETE FROM prompt_policies WHERE model_id = ? AND alias = ? RETURNING ${COLUMNS}`)
    .bind(modelId, alias)
    .first<AliasPolicyRow>();
  forgetResolutions(db, modelId);
  return { before: row ? stored(row) : null, after: null };
}
