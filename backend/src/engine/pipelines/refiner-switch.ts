import { InvalidArgumentError } from "../errors.ts";

/**
 * How the step where the refiner takes over is found, as A1111's `apply_refiner`
 * (modules/sd_samplers_common.py) decides it before each denoiser call (1.6.0 had only the
 * `step / total_steps` rule; later releases compare the timestep unless told otherwise):
 * - `"timestep"` (its default): `completed_ratio = (999 − t) / 1000`, t the model timestep of the
 *   step's sigma (the nearest of the 1000 training sigmas; here the step's timestep rounded);
 * - `"steps"` (its "Refiner switch by sampling steps" option): `completed_ratio = step / total_steps`.
 * The refiner takes over at the first step whose ratio is not `< refiner_switch_at`, and keeps it.
 */
export type RefinerSwitchBy = "timestep" | "steps";
export const REFINER_SWITCH_BY: readonly RefinerSwitchBy[] = ["timestep", "steps"];

/** The model timesteps of the schedule (A1111's `999 − t` counts from the noisiest). */
const LAST_TRAIN_TIMESTEP = 999;
const TRAIN_TIMESTEPS = 1000;

/**
 * The index k of the first refiner step over the timesteps this run denoises: the base runs
 * steps [0, k), the refiner [k, n); k = n when the refiner never takes over.
 */
export function refinerSwitchStep(
  timesteps: ArrayLike<number>,
  switchAt: number,
  by: RefinerSwitchBy = "timestep",
): number {
  const n = timesteps.length;
  for (let step = 0; step < n; step++) {
    const t = Math.min(LAST_TRAIN_TIMESTEP, Math.max(0, Math.round(timesteps[step] as number)));
    // the same float division as Python's, so 21/30 vs 0.7 decide as A1111's do
    const completedRatio = by === "steps" ? step / n : (LAST_TRAIN_TIMESTEP - t) / TRAIN_TIMESTEPS;
    if (!(completedRatio < switchAt)) return step;
  }
  return n;
}

/** `refiner.switchAt` strictly between 0 and 1 (0 would be the refiner alone, 1 never it), and the rule. */
export function checkRefinerSwitch(switchAt: unknown, by: unknown): RefinerSwitchBy {
  if (typeof switchAt !== "number" || !Number.isFinite(switchAt) || switchAt <= 0 || switchAt >= 1)
    throw new InvalidArgumentError(
      "refiner.switchAt",
      switchAt,
      "has to be a number between 0 and 1 (exclusive)",
    );
  if (by === undefined) return "timestep";
  if (!(REFINER_SWITCH_BY as readonly unknown[]).includes(by))
    throw new InvalidArgumentError(
      "refiner.switchBy",
      by,
      `has to be one of ${REFINER_SWITCH_BY.join(", ")}`,
    );
  return by as RefinerSwitchBy;
}
