import {
  canonicalJson,
  checkPromptPolicy,
  outputSize,
  type PolicyRequest,
  type ResolvedGenerationRequest,
  SdgateError,
} from "@sdgate/shared";
import type { Context } from "hono";
import { AUDIT_LOG_NAME } from "../audit/audit-log.ts";
import type { AppEnv } from "../hono-env.ts";
import { log } from "../log.ts";
import { policyForKey } from "./cache.ts";

/** What a policy sees of a resolved request: its texts, the size of the images it makes, steps and n. */
export function policyRequestOf(resolved: ResolvedGenerationRequest): PolicyRequest {
  const { prompt, negative_prompt, steps, n } = resolved;
  return { prompt, negative_prompt, ...outputSize(resolved), steps, n };
}

/**
 * Checks a resolved request against the prompt policy of the calling key's team, before any GPU work or
 * charge. A key without a team, or a team without a policy, passes untouched. A broken rule throws its
 * `policy_violation` (403) or `policy_rejected` (400), naming the rule and the field, after an audit
 * row (actor: the key) that keeps the prompt's text only when the policy says so.
 *
 * @example
 * await enforcePromptPolicy(c, resolved);
 */
export async function enforcePromptPolicy(
  c: Context<AppEnv>,
  resolved: ResolvedGenerationRequest,
): Promise<void> {
  const config = c.get("config");
  const keyId = c.get("apiKey").id;
  const policy = await policyForKey(config.db, keyId);
  if (policy === null) return;
  const request = policyRequestOf(resolved);
  const verdict = checkPromptPolicy(policy, request);
  if (verdict.ok) return;
  const text = policy.record_prompt
    ? { prompt: request.prompt, negative_prompt: request.negative_prompt ?? null }
    : {};
  try {
    await config.auditLog.getByName(AUDIT_LOG_NAME).append({
      at: new Date().toISOString(),
      actor: keyId,
      action: "policy.violation",
      key_id: keyId,
      request_hash: null,
      backend: null,
      status: verdict.status,
      latency_ms: null,
      cost: null,
      detail: canonicalJson({
        request_id: c.get("requestId"),
        policy_id: policy.id,
        rule_id: verdict.rule_id,
        param: verdict.param,
        ...text,
      }),
    });
  } catch (error) {
    // The refusal stands either way; an audit log that cannot be reached is logged, as admin-audit does.
    log.error("audit append failed", { request_id: c.get("requestId"), error: (error as Error).message });
  }
  throw new SdgateError(verdict.code, verdict.message, { param: verdict.param });
}
