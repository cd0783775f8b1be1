import { isSdgateError } from "@sdgate/shared";
import type { Context } from "hono";
import type { AppEnv } from "../hono-env.ts";
import { submitJob } from "../jobs/submit.ts";
import { log } from "../log.ts";
import { enforceGovernance } from "../policies/index.ts";
import { prepareForJob } from "../routes/generations.ts";
import { type CellOutcome, claimCells, settleClaims } from "./store.ts";

/** Cells submitted at once: enough to fill a fleet quickly, few enough to keep one request's fan-out small. */
const SUBMIT_CONCURRENCY = 6;

/** Refusals that say "not now" (the key's rate, concurrency or budget): the cell waits for a resume. */
const WAIT_CODES = new Set(["rate_limited", "budget_exceeded"]);

/**
 * Submits the sweep's claimable cells (see `claimCells`) as async jobs, each through the generation
 * route's own preparation, governance and admission (`submitJob`), so they spread over the backends
 * as any job does. Once the key's limits refuse one, the rest are left `pending` for a later resume;
 * a cell refused for itself (a policy, a model no longer served) is `refused` with the error's code.
 * Never throws for a cell: every claim is settled.
 */
export async function submitCells(
  c: Context<AppEnv>,
  sweepId: string,
  experiment: string | null,
): Promise<void> {
  const db = c.var.config.db;
  const claimed = await claimCells(db, sweepId, Date.now());
  const outcomes: CellOutcome[] = [];
  let waitCode: string | null = null;
  let next = 0;
  const worker = async () => {
    for (let cell = claimed[next++]; cell !== undefined; cell = claimed[next++]) {
      if (waitCode !== null) {
        outcomes.push({ idx: cell.idx, state: "pending", errorCode: waitCode });
        continue;
      }
      outcomes.push(await submitCell(c, cell, experiment, (code) => (waitCode ??= code)));
    }
  };
  await Promise.all(Array.from({ length: SUBMIT_CONCURRENCY }, worker));
  await settleClaims(db, sweepId, outcomes);
}

async function submitCell(
  c: Context<AppEnv>,
  cell: { idx: number; request: string },
  experiment: string | null,
  onWait: (code: string) => void,
): Promise<CellOutcome> {
  try {
    const prepared = await prepareForJob(c, JSON.parse(cell.request) as object);
    await enforceGovernance(c, prepared.resolved, prepared.served);
    const { view } = await submitJob(c, prepared, {
      webhookUrl: null,
      previewEvery: 0,
      experiment,
      idempotencyKey: null,
    });
    return { idx: cell.idx, state: "submitted", jobId: view.id, keyId: c.var.apiKey.id };
  } catch (error) {
    if (!isSdgateError(error)) {
      log.error("a sweep's cell could not be submitted", { cell: cell.idx, error: (error as Error).name });
      return { idx: cell.idx, state: "refused", errorCode: "internal_error" };
    }
    if (WAIT_CODES.has(error.code)) {
      onWait(error.code);
      return { idx: cell.idx, state: "pending", errorCode: error.code };
    }
    return { idx: cell.idx, state: "refused", errorCode: error.code };
  }
}
