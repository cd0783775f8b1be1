import { isSdgateError } from "@sdgate/shared";
import { configFor, type EdgeConfig, type Env } from "../env.ts";
import { log } from "../log.ts";
import { actAsSweepKey } from "./acting-key.ts";
import { type DrivableSweep, finishSettledSweeps, markDriven, sweepsToDrive } from "./driver-store.ts";
import { stopWaitingCells } from "./store.ts";
import { refusalKind, type SubmitTurn, submitCells } from "./submit-cells.ts";

/** Cell submissions one turn tries at most, over all sweeps: bounded work per cron invocation. */
export const MAX_CELLS_PER_TURN = 24;
/** Sweeps one turn looks at at most, the least recently driven first. */
export const MAX_SWEEPS_PER_TURN = 8;

/** What one turn of the driver did. */
export interface DriveTurn {
  /** Sweeps it took a turn on. */
  driven: number;
  /** Cell submissions it tried (each admitted or refused by the key's limits). */
  attempted: number;
  /** Cells it submitted as jobs. */
  submitted: number;
  /** Sweeps whose key or budget refused them: their waiting cells are `refused` with the code. */
  stopped: number;
  /** Sweeps it found settled and marked finished. */
  finished: number;
  /** Whether cells still wait after it (for the keys' limits, or past its cap). */
  waiting: boolean;
}

/**
 * One turn of the sweep driver (the cron trigger's, every minute, and `SweepDriver`'s fast ones): submits the cells that the key's
 * rate or concurrency left waiting, on behalf of the key that created or last resumed each sweep
 * (`actAsSweepKey`), through the same preparation, governance and admission as the resume route, up
 * to `maxCells` submissions; then marks finished the sweeps whose cells are all settled. The cells'
 * claims (`claimCells`) keep a cell from being submitted twice by two turns, or a turn and a resume.
 * `background` keeps what a submission leaves running (a refund) alive past the turn. Throws (after
 * every sweep had its turn) if any sweep's turn failed.
 *
 * @example
 * await driveSweeps(env, (work) => ctx.waitUntil(work));
 */
export async function driveSweeps(
  env: Env,
  background: (work: Promise<unknown>) => void,
  maxCells = MAX_CELLS_PER_TURN,
): Promise<DriveTurn> {
  const config = configFor(env);
  const now = new Date();
  const turn: DriveTurn = { driven: 0, attempted: 0, submitted: 0, stopped: 0, finished: 0, waiting: false };
  let failed = 0;
  for (const sweep of await sweepsToDrive(config.db, now.getTime(), MAX_SWEEPS_PER_TURN)) {
    const left = maxCells - turn.attempted;
    if (left <= 0) break;
    turn.driven += 1;
    try {
      await markDriven(config.db, sweep.id, now);
      const done = await driveSweep(env, config, sweep, left, background);
      turn.attempted += done.attempted;
      turn.submitted += done.submitted;
      if (done.stopCode !== null) turn.stopped += 1;
    } catch (error) {
      failed += 1;
      log.error("a sweep's turn failed", { sweep_id: sweep.id, error: (error as Error).message });
    }
  }
  turn.finished = await finishSettledSweeps(config.db, now);
  turn.waiting = (await sweepsToDrive(config.db, Date.now(), 1)).length > 0;
  if (failed > 0) throw new Error(`${failed} sweep turns failed`);
  return turn;
}

async function driveSweep(
  env: Env,
  config: EdgeConfig,
  sweep: DrivableSweep,
  limit: number,
  background: (work: Promise<unknown>) => void,
): Promise<SubmitTurn> {
  try {
    return await actAsSweepKey(env, config, sweep.actor, background, (c) =>
      submitCells(c, sweep.id, sweep.experiment, { scope: "waiting", limit }),
    );
  } catch (error) {
    // The key was refused before any cell was claimed (`actAsSweepKey` confirms it first).
    if (!isSdgateError(error) || refusalKind(error) !== "stop") throw error;
    await stopWaitingCells(config.db, sweep.id, error.code);
    return { attempted: 0, submitted: 0, waiting: false, stopCode: error.code };
  }
}
