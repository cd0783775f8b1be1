import type { KeyState } from "../limits/key-state.ts";
import { log } from "../log.ts";
import type { JobSpec, JobState } from "./job-state.ts";

export interface SettleBindings {
  KEY_STATE: DurableObjectNamespace<KeyState>;
}

/**
 * Ends a job's accounting in one step of the key's `KeyState`: settles the reservation the route made
 * (the cost on success, nothing on failure or cancellation: a refund) and writes the generation's
 * audit row with what was charged, through the key's audit outbox, so the row cannot be lost between
 * the two. Never throws: an unreachable `KeyState` lets the reservation lapse after its lease, which
 * charges it and writes its row then.
 *
 * @example
 * await settleJob(env, spec, state, { charged: 200, status: 200 });
 */
export async function settleJob(
  bindings: SettleBindings,
  spec: JobSpec,
  state: JobState,
  outcome: { charged: number; status: number; safety?: string },
): Promise<void> {
  const keyState = bindings.KEY_STATE.getByName(spec.ownerKeyId);
  const end = {
    status: outcome.status,
    backend: state.backend,
    latencyMs: (state.completedMs ?? Date.now()) - state.createdMs,
    detail: {
      job_id: spec.id,
      cache: state.result?.cache ?? null,
      ...(outcome.safety === undefined ? {} : { safety: outcome.safety }),
    },
  };
  try {
    if (spec.reservationId !== null) await keyState.settle(spec.reservationId, outcome.charged, end);
    else
      await keyState.recordGeneration(
        { requestHash: spec.requestHash, requestId: spec.fleet.requestId },
        end,
      );
  } catch (error) {
    log.error("settling a job failed", {
      job_id: spec.id,
      error: error instanceof Error ? error.message : "unknown",
    });
  }
}
