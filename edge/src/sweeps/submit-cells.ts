import { isSdgateError, type SdgateError } from "@sdgate/shared";
import type { Context } from "hono";
import type { AppEnv } from "../hono-env.ts";
import { submitJob } from "../jobs/submit.ts";
import { log } from "../log.ts";
import { enforceGovernance } from "../policies/index.ts";
import { prepareForJob } from "../routes/generations.ts";
import { type CellOutcome, type ClaimScope, claimCells, settleClaims, stopWaitingCells } from "./store.ts";

/** Cells submitted at once: enough to fill a fleet quickly, few enough to keep one request's fan-out small. */
const SUBMIT_CONCURRENCY = 6;

const STOP_CODES = new Set(["budget_exceeded", "invalid_api_key", "ip_not_allowed", "insufficient_scope"]);

/**
 * How a refusal bears on the sweep. `wait`: "not now", the key's request rate or concurrency; the cell
 * waits for the driver's next turn. `stop`: the key or its team rather than the cell: the key revoked,
 * expired, rotated out, used from an address it may not be or without `generate`, its credits or a
 * monthly budget spent; the cell and every cell still waiting stop with the code (`refused`, nothing
 * charged) until someone resumes the sweep. `cell`: this cell alone (a policy, a model no longer served).
 */
export function refusalKind(error: SdgateError): "wait" | "stop" | "cell" {
  if (error.code === "rate_limited") return error.param === "credits" ? "stop" : "wait";
  return STOP_CODES.has(error.code) ? "stop" : "cell";
}

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
 * (see {@link refusalKind}), the rest and every cell still waiting are `refused` with that code; a cell
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
      const { outcome, halt } = await submitCell(c, cell, experiment);
      outcomes.push(outcome);
      turn.halt = strongerHalt(turn.halt, halt);
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

/** A stop outranks a wait (cells behind a refused key must not wait for it); the first of each stands. */
function strongerHalt(current: Halt | null, next: Halt | null): Halt | null {
  if (next === null || current?.state === "refused") return current;
  return current === null || next.state === "refused" ? next : current;
}

async function submitCell(
  c: Context<AppEnv>,
  cell: { idx: number; request: string },
  experiment: string | null,
): Promise<{ outcome: CellOutcome; halt: Halt | null }> {
  try {
    const prepared = await prepareForJob(c, JSON.parse(cell.request) as object);
    await enforceGovernance(c, prepared.resolved, prepared.served);
    const { view } = await submitJob(c, prepared, {
      webhookUrl: null,
      previewEvery: 0,
      experiment,
      idempotencyKey: null,
    });
    return {
      outcome: { idx: cell.idx, state: "submitted", jobId: view.id, keyId: c.var.apiKey.id },
      halt: null,
    };
  } catch (error) {
    if (!isSdgateError(error)) {
      log.error("a sweep's cell could not be submitted", { cell: cell.idx, error: (error as Error).name });
      return { outcome: { idx: cell.idx, state: "refused", errorCode: "internal_error" }, halt: null };
    }
    const kind = refusalKind(error);
    const state = kind === "wait" ? ("pending" as const) : ("refused" as const);
    const halt = kind === "cell" ? null : { state, code: error.code };
    return { outcome: { idx: cell.idx, state, errorCode: error.code }, halt };
  }
}
