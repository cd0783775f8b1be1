import type { EulerAncestralDiscreteScheduler, EulerDiscreteScheduler } from "../schedulers/index.ts";
import { type Affine, type AffineSchedule, stepFromEstimate } from "./affine-schedule.ts";

const { sqrt } = Math;

/**
 * Euler and Euler a (`scheduling_euler_discrete.py`, `scheduling_euler_ancestral_discrete.py`) as
 * coefficients over the scheduler's sigmas: `x' = x + (x − x0)/σ · (σ_down − σ) + σ_up · n`, where
 * plain Euler has `σ_down = σ_next` and no noise.
 */
export function eulerSchedule(
  scheduler: EulerDiscreteScheduler | EulerAncestralDiscreteScheduler,
  ancestral: boolean,
): AffineSchedule {
  const sigmas = scheduler.sigmas;
  const predictionType = scheduler.config.prediction_type;
  const sigmaAt = (index: number) => sigmas[index] as number;
  return {
    update(index) {
      const sigma = sigmaAt(index);
      const sigmaNext = sigmaAt(index + 1);
      let sigmaDown = sigmaNext;
      let sigmaUp = 0;
      if (ancestral) {
        const from = sigma * sigma;
        const to = sigmaNext * sigmaNext;
        sigmaUp = sqrt((to * (from - to)) / from);
        sigmaDown = sqrt(to - sigmaUp * sigmaUp);
      }
      const x0 = eulerEstimate(predictionType, sigma);
      // x + dt/σ · (x − x0) = (1 + dt/σ)·x − dt/σ · x0
      const slope = (sigmaDown - sigma) / sigma;
      return stepFromEstimate(1 + slope, -slope, x0, sigmaUp);
    },
    inputScale(index) {
      const sigma = sigmaAt(index);
      return 1 / sqrt(sigma * sigma + 1);
    },
  };
}

/** The Euler schedulers' `pred_original_sample` for each `prediction_type` (`predictOriginal`). */
function eulerEstimate(predictionType: string, sigma: number): Affine {
  switch (predictionType) {
    case "epsilon":
      return { x: 1, m: -sigma };
    case "v_prediction": {
      const variance = sigma * sigma + 1;
      return { x: 1 / variance, m: -sigma / sqrt(variance) };
    }
    default:
      // "sample" and "original_sample": the model predicts x0 itself
      return { x: 0, m: 1 };
  }
}
