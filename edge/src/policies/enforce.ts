import {
  canonicalJson,
  checkPromptPolicy,
  grantCovers,
  outputSize,
  type PolicyRequest,
  type PromptPolicy,
  type ResolvedGenerationRequest,
  SdgateError,
} from "@sdgate/shared";
import type { Context } from "hono";
import { AUDIT_LOG_NAME } from "../audit/audit-log.ts";
import type { AppEnv } from "../hono-env.ts";
import { mayUseModel } from "../keys/api-key.ts";
import { log } from "../log.ts";
import { teamRulesForKey } from "./cache.ts";

/** What a policy sees of a resolved request: its texts, the size of the images it makes, steps and n. */
export function policyRequestOf(resolved: ResolvedGenerationRequest): PolicyRequest {
  const { prompt, negative_prompt, steps, n } = resolved;
  return { prompt, negative_prompt, ...outputSize(resolved), steps, n };
}

/**
 * What a request's model served, as far as governance asks: the reference and its alias's policy,
 * and what its `refiner.model` served (absent or `null`: no refiner).
 */
export interface ServedRef {
  ref: string;
  policy: PromptPolicy | null;
  refinerRef?: string | null;
}

/** Appends one governance refusal to the audit log (actor: the key); a log that cannot be reached is logged. */
async function auditRefusal(
  c: Context<AppEnv>,
  action: "policy.violation" | "model.not_granted",
  status: number,
  detail: Record<string, unknown>,
): Promise<void> {
  const config = c.get("config");
  const keyId = c.get("apiKey").id;
  try {
    await config.auditLog.getByName(AUDIT_LOG_NAME).append({
      at: new Date().toISOString(),
      actor: keyId,
      action,
      key_id: keyId,
      request_hash: null,
      backend: null,
      status,
      latency_ms: null,
      cost: null,
      detail: canonicalJson({ request_id: c.get("requestId"), ...detail }),
    });
  } catch (error) {
    // The refusal stands either way, as admin-audit does.
    log.error("audit append failed", { request_id: c.get("requestId"), error: (error as Error).message });
  }
}

async function checkPolicy(c: Context<AppEnv>, policy: PromptPolicy, request: PolicyRequest): Promise<void> {
  const verdict = checkPromptPolicy(policy, request);
  if (verdict.ok) return;
  const text = policy.record_prompt
    ? { prompt: request.prompt, negative_prompt: request.negative_prompt ?? null }
    : {};
  await auditRefusal(c, "policy.violation", verdict.status, {
    policy_id: policy.id,
    rule_id: verdict.rule_id,
    param: verdict.param,
    ...("team_id" in policy.scope ? {} : { model: policy.scope.model, alias: policy.scope.alias }),
    ...text,
  });
  throw new SdgateError(verdict.code, verdict.message, { param: verdict.param });
}

/**
 * Governance before any GPU work or charge: the calling key's team must be granted the served model
 * reference and the refiner's (403 `model_not_granted` naming `model` or `refiner.model`; the key's own
 * list too for the refiner, 403 `model_not_allowed`), and the request must keep the team's prompt policy
 * and then the policy of the model's alias. A broken rule throws its `policy_violation` (403) or
 * `policy_rejected` (400), naming the rule and the field. Each refusal is audited (actor: the key),
 * keeping the prompt's text only when the policy says so.
 *
 * @example
 * await enforceGovernance(c, resolved, { ref: "sd15@production", policy: null });
 */
export async function enforceGovernance(
  c: Context<AppEnv>,
  resolved: ResolvedGenerationRequest,
  served: ServedRef,
): Promise<void> {
  const team = await teamRulesForKey(c.get("config").db, c.get("apiKey").id);
  const models = [
    { ref: served.ref, param: "model" },
    ...(served.refinerRef == null ? [] : [{ ref: served.refinerRef, param: "refiner.model" }]),
  ];
  for (const { ref, param } of models) {
    if (team?.grants != null && !grantCovers(team.grants, ref)) {
      await auditRefusal(c, "model.not_granted", 403, { team_id: team.teamId, model: ref });
      const granted = team.grants.length === 0 ? "no model" : team.grants.join(", ");
      throw new SdgateError(
        "model_not_granted",
        `The team '${team.teamId}' is not granted the model '${ref}'; it is granted ${granted}.`,
        { param },
      );
    }
  }
  // The key's own list is checked for `model` by its Durable Object as it admits the request; the
  // refiner's against the record this route holds (at most a minute older than a change to it).
  if (served.refinerRef != null && !mayUseModel(c.get("apiKey"), served.refinerRef)) {
    const key = c.get("apiKey");
    throw new SdgateError(
      "model_not_allowed",
      `This API key may not use the model '${served.refinerRef}' as its refiner; it may use ${(key.models ?? []).join(", ")}.`,
      { param: "refiner.model" },
    );
  }
  if (team?.policy == null && served.policy === null) return;
  const request = policyRequestOf(resolved);
  if (team?.policy) await checkPolicy(c, team.policy, request);
  if (served.policy) await checkPolicy(c, served.policy, request);
}
