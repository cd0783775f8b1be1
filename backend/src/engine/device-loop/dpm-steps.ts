import type { DpmSolverMultistepScheduler } from "../schedulers/index.ts";
import type { Affine, AffineSchedule } from "./affine-schedule.ts";

const { sqrt, exp, log } = Math;

/** `_sigma_to_alpha_sigma_t` and `lambda = log α − log σ` (+∞ at σ = 0), float64. */
function alphaSigma(sigma: number): { alpha: number; sigmaT: number; lambda: number } {
  const alpha = 1 / sqrt(sigma * sigma + 1);
  const sigmaT = sigma * alpha;
  return { alpha, sigmaT, lambda: log(alpha) - log(sigmaT) };
}

/**
 * DPM-Solver++ 2M and 2M SDE (`scheduling_dpmsolver_multistep.py`) as coefficients over the
 * scheduler's sigmas. Every step writes `D0 = x0_pred` to the state, so the second-order update reads
 * the previous step's `x0_pred` as `s`:
 *
 *   x' = S·x + K·D0 + ½K·(D0 − s)/r0 + N·n
 *
 * with `S, K, N` the first/second-order scalings of the ODE ("dpmsolver++") or SDE ("sde-dpmsolver++")
 * form. Which order a step uses follows the scheduler's own rule (`lower_order_final`, `euler_at_final`,
 * the final sigma), counted from the generation's first step as the host's `lower_order_nums` is.
 */
export function dpmSchedule(scheduler: DpmSolverMultistepScheduler): AffineSchedule {
  const { config, sigmas, timesteps } = scheduler;
  const sde = config.algorithm_type === "sde-dpmsolver++";
  const last = timesteps.length - 1;
  const sigmaAt = (index: number) => sigmas[index] as number;
  const estimate = (sigma: number): Affine => {
    const { alpha, sigmaT } = alphaSigma(sigma);
    switch (config.prediction_type) {
      case "epsilon":
        return { x: 1 / alpha, m: -sigmaT / alpha };
      case "v_prediction":
        return { x: alpha, m: -sigmaT };
      case "sample":
        return { x: 0, m: 1 };
    }
  };
  return {
    update(index, stepNumber) {
      const fewSteps = config.lower_order_final && timesteps.length < 15;
      const lowerOrderFinal =
        index === last && (config.euler_at_final || fewSteps || config.final_sigmas_type === "zero");
      const firstOrder = config.solver_order === 1 || stepNumber < 1 || lowerOrderFinal;
      const t = alphaSigma(sigmaAt(index + 1));
      const s0 = alphaSigma(sigmaAt(index));
      const h = t.lambda - s0.lambda;
      const sampleScale = sde ? (t.sigmaT / s0.sigmaT) * exp(-h) : t.sigmaT / s0.sigmaT;
      const estimateScale = sde ? t.alpha * (1 - exp(-2 * h)) : -t.alpha * (exp(-h) - 1);
      const noiseScale = sde ? t.sigmaT * sqrt(1 - exp(-2 * h)) : 0;
      const x0 = estimate(sigmaAt(index));
      // The midpoint correction ½K·(D0 − D_prev)/r0; none on a first-order step.
      const correction = firstOrder
        ? 0
        : (0.5 * estimateScale * h) / (s0.lambda - alphaSigma(sigmaAt(index - 1)).lambda);
      const onEstimate = estimateScale + correction;
      return {
        a: sampleScale + onEstimate * x0.x,
        b: onEstimate * x0.m,
        c: -correction,
        d: noiseScale,
        p: x0.x,
        q: x0.m,
        r: 0,
        u: x0.x,
        v: x0.m,
        w0: 0,
      };
    },
    // DPM-Solver's model input is the sample itself.
    inputScale: () => 1,
  };
}
