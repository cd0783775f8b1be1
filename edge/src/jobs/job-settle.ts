import { canonicalJson } from "@sdgate/shared";
import { AUDIT_LOG_NAME, type AuditLog } from "../audit/audit-log.ts";
import type { KeyState } from "../limits/key-state.ts";
import { log } from "../log.ts";
import type { JobSpec, JobState } from "./job-state.ts";

export interface SettleBindings {
  KEY_STATE: DurableObjectNamespace<KeyState>;
  AUDIT_LOG: DurableObjectNamespace<AuditLog>;
}

/**
 * Ends a job's accounting: settles the reservation the route made (the cost on success, nothing on
 * failure or cancellation: a refund) and appends the generation to the audit chain, as the
 * synchronous route does after its response. Never throws: an unreachable `KeyState` lets the
 * reservation lapse after its lease.
 *
 * @example
 * await settleJob(env, spec, state, { charged: 200, status: 200 });
 */
export async function settleJob(
  bindings: SettleBindings,
  spec: JobSpec,
  state: JobState,
  outcome: { charged: number; status: number },
): Promise<void> {
  const settle = async () => {
    if (spec.reservationId === null) return;
    await bindings.KEY_STATE.getByName(spec.ownerKeyId).settle(spec.reservationId, outcome.charged);
  };
  const audit = () =>
    bindings.AUDIT_LOG.getByName(AUDIT_LOG_NAME).append({
      at: new Date().toISOString(),
      actor: spec.ownerKeyId,
      action: "generation",
      key_id: spec.ownerKeyId,
      request_hash: spec.requestHash,
      backend: state.backend,
      status: outcome.status,
      latency_ms: Math.round((state.completedMs ?? Date.now()) - state.createdMs),
      cost: outcome.charged,
      detail: canonicalJson({
        request_id: spec.fleet.requestId,
        job_id: spec.id,
        cache: state.result?.cache ?? null,
      }),
    });
  const results = await Promise.allSettled([settle(), audit()]);
  for (const result of results) {
    if (result.status === "rejected") {
      log.error("settling a job failed", {
        job_id: spec.id,
        error: result.reason instanceof Error ? result.reason.message : "unknown",
      });
    }
  }
}
