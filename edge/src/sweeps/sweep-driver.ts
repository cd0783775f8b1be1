import { DurableObject } from "cloudflare:workers";
import { configFor, type Env } from "../env.ts";
import { driveSweeps } from "./driver.ts";

/** The one `SweepDriver` (`getByName(SWEEP_DRIVER_NAME)`). */
export const SWEEP_DRIVER_NAME = "sweeps";
/** Between turns that submit nothing (every waiting key still at its limits) the wait doubles up to this. */
export const MAX_TURN_WAIT_MS = 60_000;

/**
 * The wait before the next fast turn: the pace after a turn that submitted cells, doubling for each
 * turn since that submitted none, up to {@link MAX_TURN_WAIT_MS}.
 *
 * @example
 * nextTurnWaitMs(5_000, 2); // 20_000
 */
export function nextTurnWaitMs(turnMs: number, idleTurns: number): number {
  return Math.min(turnMs * 2 ** idleTurns, Math.max(turnMs, MAX_TURN_WAIT_MS));
}

/**
 * The sweep driver's fast turns (the cron trigger takes one a minute): one object whose alarm takes a
 * turn of {@link driveSweeps} every `SDGATE_SWEEP_TURN_SECONDS` while cells wait, more slowly while
 * turns submit nothing, and sleeps once none wait. The sweep routes wake it when they leave cells
 * waiting; the cron wakes it too, so an alarm given up after its retries starts again within a minute.
 * Its storage holds only the count of idle turns: where each sweep stands is in D1.
 */
export class SweepDriver extends DurableObject<Env> {
  /** Takes a turn within the pace, unless one is due sooner; does nothing when the pace is 0. */
  async wake(): Promise<void> {
    const { turnMs } = configFor(this.env).sweeps;
    if (turnMs === 0) return;
    const at = Date.now() + turnMs;
    const due = await this.ctx.storage.getAlarm();
    if (due !== null && due <= at) return;
    await this.ctx.storage.put("idleTurns", 0);
    await this.ctx.storage.setAlarm(at);
  }

  override async alarm(): Promise<void> {
    const { turnMs } = configFor(this.env).sweeps;
    const turn = await driveSweeps(this.env, (work) => this.ctx.waitUntil(work));
    if (!turn.waiting || turnMs === 0) {
      await this.ctx.storage.delete("idleTurns");
      return;
    }
    const idle = turn.submitted > 0 ? 0 : ((await this.ctx.storage.get<number>("idleTurns")) ?? 0) + 1;
    await this.ctx.storage.put("idleTurns", idle);
    await this.ctx.storage.setAlarm(Date.now() + nextTurnWaitMs(turnMs, idle));
  }
}
