import { npArange, npLinspace, npRint } from "./numpy-compat.ts";

/**
 * The `timestep_spacing` variants of diffusers' `set_timesteps` ("linspace", "leading", "trailing",
 * Table 2 of Lin et al. 2023), noisiest first. Each scheduler family spells them slightly differently;
 * these follow the named diffusers file line by line.
 */
export type TimestepSpacing = "linspace" | "leading" | "trailing";

const { floor } = Math;
const range = (length: number) => Array.from({ length }, (_, i) => i);

/** Euler and Euler a (`scheduling_euler_discrete.py`): float32, fractional for "linspace". */
export function eulerTimesteps(
  spacing: TimestepSpacing,
  trainSteps: number,
  steps: number,
  stepsOffset: number,
): Float32Array {
  switch (spacing) {
    case "linspace":
      return Float32Array.from(npLinspace(0, trainSteps - 1, steps).reverse());
    case "leading": {
      const ratio = floor(trainSteps / steps);
      const timesteps = Float32Array.from(
        range(steps)
          .map((i) => i * ratio)
          .reverse(),
      );
      return timesteps.map((t) => t + stepsOffset);
    }
    case "trailing":
      return Float32Array.from(npArange(trainSteps, 0, -trainSteps / steps).map(npRint)).map((t) => t - 1);
  }
}

/**
 * DPM-Solver multistep (`scheduling_dpmsolver_multistep.py`): integers from `steps + 1` points with
 * the last dropped; `lastTimestep` is the training length less the `lambda_min_clipped` cut.
 */
export function dpmSolverTimesteps(
  spacing: TimestepSpacing,
  trainSteps: number,
  lastTimestep: number,
  steps: number,
  stepsOffset: number,
): number[] {
  switch (spacing) {
    case "linspace":
      return npLinspace(0, lastTimestep - 1, steps + 1)
        .map(npRint)
        .reverse()
        .slice(0, -1);
    case "leading": {
      const ratio = floor(lastTimestep / (steps + 1));
      return range(steps + 1)
        .map((i) => i * ratio)
        .reverse()
        .slice(0, -1)
        .map((t) => t + stepsOffset);
    }
    case "trailing":
      return npArange(lastTimestep, 0, -trainSteps / steps).map((t) => npRint(t) - 1);
  }
}

/** DDIM (`scheduling_ddim.py`): integers. */
export function ddimTimesteps(
  spacing: TimestepSpacing,
  trainSteps: number,
  steps: number,
  stepsOffset: number,
): number[] {
  switch (spacing) {
    case "linspace":
      return npLinspace(0, trainSteps - 1, steps)
        .map(npRint)
        .reverse();
    case "leading": {
      const ratio = floor(trainSteps / steps);
      return range(steps)
        .map((i) => i * ratio + stepsOffset)
        .reverse();
    }
    case "trailing":
      return npArange(trainSteps, 0, -trainSteps / steps).map((t) => npRint(t) - 1);
  }
}
