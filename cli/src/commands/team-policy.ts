import type { PolicyRule, PromptPolicy, TeamPolicyView } from "@sdgate/sdk";
import { type Io, UsageError } from "../io.ts";
import { jsonFile } from "../json-file.ts";
import { adminClient, CONNECTION_OPTIONS, parse } from "../options.ts";
import { table } from "../table.ts";
import { exactly, printJson } from "./subcommands.ts";

export const POLICY_USAGE = `  sdgate teams policy <team id>                    (its prompt policy's rules, as a table)
  sdgate teams policy <team id> --file <rules.json> [--record-prompt]   (sets it: a JSON array of rules)
  sdgate teams policy <team id> --remove`;

/** What a rule checks, in a few words. */
function what(rule: PolicyRule): string {
  switch (rule.kind) {
    case "blocked_terms":
      return `${rule.terms.length} term(s), ${rule.match}, in ${rule.fields.join(" and ")}`;
    case "blocked_patterns":
      return `${rule.patterns.join(" | ")} in ${rule.fields.join(" and ")}`;
    case "required_negative_prompt":
      return `negative prompt has ${rule.terms.join(", ")}`;
    case "max_size":
      return [
        rule.max_width === undefined ? null : `width ≤ ${rule.max_width}`,
        rule.max_height === undefined ? null : `height ≤ ${rule.max_height}`,
        rule.max_pixels === undefined ? null : `pixels ≤ ${rule.max_pixels}`,
      ]
        .filter((part) => part !== null)
        .join(", ");
    case "max_steps":
      return `steps ≤ ${rule.max}`;
    case "max_n":
      return `images ≤ ${rule.max}`;
  }
}

/**
 * A policy's rules as a table, after a line saying who set it and what violations keep.
 *
 * @example
 * io.out(`${view.team_id}: ${policyText(view.policy, view)}`);
 */
export function policyText(
  policy: PromptPolicy,
  set: { updated_by: string | null; updated_at: string | null },
  extra = "",
): string {
  const rows = policy.rules.map((rule) => [rule.id, rule.kind, rule.action, what(rule)]);
  const recorded = policy.record_prompt ? "violations keep the prompt" : "violations keep the rule only";
  return `${policy.id}, set by ${set.updated_by} at ${set.updated_at}; ${recorded}${extra}\n${table(["RULE", "KIND", "ACTION", "CHECKS"], rows)}\n`;
}

function describe(view: TeamPolicyView): string {
  if (view.policy === null) return `${view.team_id}: no prompt policy.\n`;
  return `${view.team_id}: ${policyText(view.policy, view)}`;
}

/** `sdgate teams policy …`: read, set or remove a team's prompt policy. */
export async function policy(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse(args, {
    ...CONNECTION_OPTIONS,
    file: { type: "string" },
    "record-prompt": { type: "boolean" },
    remove: { type: "boolean" },
  });
  const [id = ""] = exactly(positionals, ["a team id (see sdgate teams list)"], "teams policy");
  if (values.remove && values.file !== undefined) throw new UsageError("--remove cannot go with --file.");
  if (values["record-prompt"] && values.file === undefined)
    throw new UsageError("--record-prompt needs --file.");
  const rules = values.file === undefined ? undefined : await jsonFile(values.file);
  if (rules !== undefined && !Array.isArray(rules))
    throw new UsageError("--file must hold a JSON array of rules.");
  const teams = adminClient(values, io).teams;
  const view = values.remove
    ? await teams.removePolicy(id)
    : rules !== undefined
      ? await teams.setPolicy(id, {
          rules: rules as PolicyRule[],
          record_prompt: values["record-prompt"] === true,
        })
      : await teams.policy(id);
  if (values.json) return printJson(io, view);
  io.out(describe(view));
}
