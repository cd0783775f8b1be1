import type { z } from "zod";
import { durableObjectNamespace } from "../keys/config.ts";
import { wholeNumber } from "../retention.ts";
import type { SweepDriver } from "./sweep-driver.ts";

/** Seconds between the sweep driver's fast turns while cells wait and turns submit some. */
export const DEFAULT_SWEEP_TURN_SECONDS = 5;

/**
 * The sweep driver's env: `SWEEP_DRIVER`, the Durable Object binding of its one `SweepDriver`, and
 * `SDGATE_SWEEP_TURN_SECONDS`, optional var, the pace of its fast turns (default
 * {@link DEFAULT_SWEEP_TURN_SECONDS}; `0`: only the cron trigger's turn, once a minute).
 */
export interface SweepsEnv {
  SWEEP_DRIVER: DurableObjectNamespace<SweepDriver>;
  SDGATE_SWEEP_TURN_SECONDS?: string;
}

/** The zod shape of {@link SweepsEnv}, spread into the edge's env schema (`env.ts`). */
export const sweepsEnvShape = {
  SWEEP_DRIVER: durableObjectNamespace<SweepDriver>(),
  SDGATE_SWEEP_TURN_SECONDS: wholeNumber("seconds", 0, 60, DEFAULT_SWEEP_TURN_SECONDS),
};

export interface SweepsConfig {
  driver: DurableObjectNamespace<SweepDriver>;
  /** The pace of the driver's fast turns; `0`: the cron's turns only. */
  turnMs: number;
}

/**
 * @example
 * const sweeps = sweepsConfigOf(parsedEnv); // in env.ts's transform
 */
export function sweepsConfigOf(env: z.output<z.ZodObject<typeof sweepsEnvShape>>): SweepsConfig {
  return { driver: env.SWEEP_DRIVER, turnMs: env.SDGATE_SWEEP_TURN_SECONDS * 1000 };
}
