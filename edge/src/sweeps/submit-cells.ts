import { isSdgateError } from "@sdgate/shared";
import type { Context } from "hono";
import type { AppEnv } from "../hono-env.ts";
import { submitJob } from "../jobs/submit.ts";
import { log } from "../log.ts";
import { enforceGovernance } from "../policies/index.ts";
import { prepareForJob } from "../routes/generations.ts";
import { type CellOutcome, type ClaimScope, claimCells, settleClaims, stopWaitingCells } from "./store.ts";

/** Cells submitted at once: enough to fill a fleet quickly, few enough to keep one request's fan-out small. */
const SUBMIT_CONCURRENCY = 6;

/** Refusals that say "not now" (the key's rate or concurrency): the cell waits for the driver's next turn. */
const WAIT_CODES = new Set(["rate_limited"]);

/**
 * Refusals of the key or its team rather than of the cell: the key revoked, expired, rotated out, used
 * from an address it may not be or without `generate`, or a budget spent. The cell and every cell
 * still waiting stop with the code (`refused`, nothing charged) until a person resumes the sweep.
 */
export const STOP_CODES = new Set([
  "budget_exceeded",
  "invalid_api_key",
  "ip_not_allowed",
  "insufficient_scope",
]);

/** What one submission turn did: the cells it tried and submitted, and why it halted, if it did. */
export interface SubmitTurn {
  attempted: number;
  submitted: number;
  /** The key's rate or concurrency left cells waiting for a later turn. */
  waiting: boolean;
  /** The key's or its budget's refusal that stopped the sweep's waiting cells. */
  stopCode: string | null;
}

/**
 * Submits the sweep's cells that `claim` takes (see `claimCells`) as async jobs, each through the
 * generation route's own preparation, governance and admission (`submitJob`) as the key on `c`, so
 * they spread over the backends as any job does. Once the key's rate or concurrency refuses one, the
 * rest are left `pending` for the driver's next turn; once the key or its budget refuses one
 * ({@link STOP_CODES}), the rest and every cell still waiting are `refused` with that code; a cell
 * refused for itself (a policy, a model no longer served) is `refused` with the error's code.
 * Never throws for a cell: every claim is settled.
 */
export async function submitCells(
  c: Context<AppEnv>,
  sweepId: string,
  experiment: string | null,
  claim: { scope: ClaimScope; limit: number | null } = { scope: "resume", limit: null },
): Promise<SubmitTurn> {
  const db = c.var.config.db;
  const claimed = await claimCells(db, sweepId, Date.now(), claim);
  const outcomes: CellOutcome[] = [];
  // Written by the workers below (an object, so the compiler does not narrow it to its first value).
  const turn: { halt: Halt | null; attempted: number } = { halt: null, attempted: 0 };
  let next = 0;
  const worker = async () => {
    for (let cell = claimed[next++]; cell !== undefined; cell = claimed[next++]) {
      if (turn.halt !== null) {
        outcomes.push({ idx: cell.idx, state: turn.halt.state, errorCode: turn.halt.code });
        continue;
      }
      turn.attempted += 1;
      const outcome = await submitCell(c, cell, experiment);
      outcomes.push(outcome);
      turn.halt = haltAfter(outcome, turn.halt);
    }
  };
  await Promise.all(Array.from({ length: SUBMIT_CONCURRENCY }, worker));
  await settleClaims(db, sweepId, outcomes);
  // Cells already left `pending` by this turn or earlier ones stop too.
  const stopCode = turn.halt?.state === "refused" ? turn.halt.code : null;
  if (stopCode !== null) await stopWaitingCells(db, sweepId, stopCode);
  return {
    attempted: turn.attempted,
    submitted: outcomes.filter((outcome) => outcome.state === "submitted").length,
    waiting: turn.halt?.state === "pending",
    stopCode,
  };
}

/** Why a turn submits no more cells, and what the cells it has not tried become. */
type Halt = { state: "pending" | "refused"; code: string };

/** The halt after `outcome`: a stop (the key, its budget) outranks a wait (its rate, concurrency). */
function haltAfter(outcome: CellOutcome, current: Halt | null): Halt | null {
  if (outcome.state === "submitted" || outcome.errorCode === null) return current;
  if (STOP_CODES.has(outcome.errorCode))
    return current?.state === "refused" ? current : { state: "refused", code: outcome.errorCode };
  if (outcome.state === "pending") return current ?? { state: "pending", code: outcome.errorCode };
  return current;
}

async function submitCell(
  c: Context<AppEnv>,
  cell: { idx: number; request: string },
  experiment: string | null,
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
    const state = WAIT_CODES.has(error.code) ? "pending" : "refused";
    return { idx: cell.idx, state, errorCode: error.code };
  }
}
