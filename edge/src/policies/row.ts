import { type PolicyScope, type PromptPolicy, promptPolicySchema } from "@sdgate/shared";

export interface PolicyRow {
  id: string;
  team_id: string;
  rules: string;
  record_prompt: number;
  updated_at: string;
  updated_by: string;
}

/** Raised when a stored policy does not parse: a server-side problem, never the caller's. */
export class CorruptPolicyRowError extends Error {
  override readonly name = "CorruptPolicyRowError";
}

export const COLUMNS = "id, team_id, rules, record_prompt, updated_at, updated_by";

/** A row as the contract's policy; a row that does not parse throws rather than let requests through unchecked. */
export function policyFromRow(
  row: Pick<PolicyRow, "id" | "rules" | "record_prompt"> & { team_id: string | null },
  scope: PolicyScope | null = null,
): PromptPolicy {
  let rules: unknown;
  try {
    rules = JSON.parse(row.rules);
  } catch {
    rules = null;
  }
  const parsed = promptPolicySchema.safeParse({
    id: row.id,
    scope: scope ?? { team_id: row.team_id },
    rules,
    record_prompt: row.record_prompt === 1,
  });
  if (!parsed.success) throw new CorruptPolicyRowError(`Prompt policy ${row.id} is malformed in D1.`);
  return parsed.data;
}
