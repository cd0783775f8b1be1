import type { AliasPolicyBody, AliasPolicyView, PolicyRule, SafetySetting } from "@sdgate/shared";

/** The policy editor's fields: the rules as JSON text (the contract's rule shapes), and the rest. */
export interface PolicyDraft {
  rules: string;
  recordPrompt: boolean;
  safetyCheck: SafetySetting;
}

/** The editor's fields for an alias's policy as the API shows it (none: no rules, check off). */
export function policyDraftOf(view: AliasPolicyView | null): PolicyDraft {
  return {
    rules: JSON.stringify(view?.policy?.rules ?? [], null, 2),
    recordPrompt: view?.policy?.record_prompt ?? false,
    safetyCheck: view?.safety_check ?? "off",
  };
}

/**
 * The `PUT …/policies/{alias}` body of the editor's fields, or why the rules are not a JSON list.
 * The rules themselves are checked by the API, which names the rule and field that is wrong.
 *
 * @example
 * policyBodyOf({ rules: "[]", recordPrompt: false, safetyCheck: "blur" }); // { ok: true, body: { rules: [], … } }
 */
export function policyBodyOf(
  draft: PolicyDraft,
): { ok: true; body: AliasPolicyBody } | { ok: false; message: string } {
  let rules: unknown;
  try {
    rules = JSON.parse(draft.rules.trim() === "" ? "[]" : draft.rules);
  } catch (error) {
    return {
      ok: false,
      message: `Rules: not JSON (${error instanceof Error ? error.message : String(error)}).`,
    };
  }
  if (!Array.isArray(rules)) return { ok: false, message: "Rules: must be a JSON list of rules ([ … ])." };
  return {
    ok: true,
    body: {
      rules: rules as PolicyRule[],
      record_prompt: draft.recordPrompt,
      safety_check: draft.safetyCheck,
    },
  };
}

/** A rule in a few words, for the policies list: `block-nsfw: blocked terms (3)`. */
export function ruleSummary(rule: PolicyRule): string {
  const what = rule.kind.replaceAll("_", " ");
  const count =
    "terms" in rule ? ` (${rule.terms.length})` : "patterns" in rule ? ` (${rule.patterns.length})` : "";
  return `${rule.id}: ${what}${count}, ${rule.action}`;
}
