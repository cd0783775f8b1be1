import type { StepCoefficients } from "./linear-step.ts";

/** `u·x + v·m`: how a clean-sample (or epsilon) estimate depends on the sample `x` and model output `m`. */
export interface Affine {
  readonly x: number;
  readonly m: number;
}

/** One step's scheduler part of a table row: everything but guidance and the next UNet call. */
export type UpdateCoefficients = Omit<StepCoefficients, "g" | "cInNext" | "tNext">;

/**
 * A scheduler family's step as coefficients, read off the host scheduler's own schedule (its sigmas or
 * alpha products) in float64. `index` is the position in `timesteps`; `stepNumber` counts the steps
 * this generation has taken before (it differs from `index` after an img2img begin index).
 */
export interface AffineSchedule {
  update(index: number, stepNumber: number): UpdateCoefficients;
  /** What `scaleModelInput` multiplies the sample by at `index`. */
  inputScale(index: number): number;
}

/** `x' = scale·x + k·(u·x + v·m)`, the shape every first-order step has; no carried state. */
export function stepFromEstimate(
  sampleScale: number,
  estimateScale: number,
  estimate: Affine,
  noiseScale: number,
  shown: Affine = estimate,
): UpdateCoefficients {
  return {
    a: sampleScale + estimateScale * estimate.x,
    b: estimateScale * estimate.m,
    c: 0,
    d: noiseScale,
    p: 0,
    q: 0,
    r: 0,
    u: shown.x,
    v: shown.m,
    w0: 0,
  };
}
