import type { DdimScheduler, LcmScheduler } from "../schedulers/index.ts";
import { type Affine, type AffineSchedule, stepFromEstimate } from "./affine-schedule.ts";
import { DeviceLoopUnsupportedError } from "./unsupported-config.ts";

const { sqrt } = Math;

/** DDIM's and LCM's clean-sample estimate from `√ᾱ_t`, `√(1 − ᾱ_t)` for each `prediction_type`. */
function cleanEstimate(predictionType: string, sqrtAlpha: number, sqrtBeta: number): Affine {
  switch (predictionType) {
    case "epsilon":
      return { x: 1 / sqrtAlpha, m: -sqrtBeta / sqrtAlpha };
    case "v_prediction":
      return { x: sqrtAlpha, m: -sqrtBeta };
    default:
      return { x: 0, m: 1 };
  }
}

/** DDIM's epsilon estimate (`pred_epsilon`) for each `prediction_type`. */
function epsilonEstimate(predictionType: string, sqrtAlpha: number, sqrtBeta: number): Affine {
  switch (predictionType) {
    case "epsilon":
      return { x: 0, m: 1 };
    case "v_prediction":
      return { x: sqrtBeta, m: sqrtAlpha };
    default:
      return { x: 1 / sqrtBeta, m: -sqrtAlpha / sqrtBeta };
  }
}

/** Clamping the clean-sample estimate is not affine: such configs stay on the host loop. */
function refuseClipSample(scheduler: DdimScheduler | LcmScheduler): void {
  if (scheduler.config.clip_sample) {
    throw new DeviceLoopUnsupportedError(
      scheduler.name,
      "clip_sample",
      true,
      "clamping the clean-sample estimate is not an affine step",
    );
  }
}

function alphaAt(alphasCumprod: Float32Array, timestep: number): number {
  const alpha = alphasCumprod[timestep];
  if (alpha === undefined) throw new RangeError(`timestep ${timestep} is outside the training schedule`);
  return alpha;
}

/**
 * DDIM with eta 0 (`scheduling_ddim.py`) over the scheduler's alpha products:
 * `x' = √ᾱ_prev · x0 + √(1 − ᾱ_prev) · ε`, the previous timestep a fixed stride back.
 */
export function ddimSchedule(scheduler: DdimScheduler): AffineSchedule {
  refuseClipSample(scheduler);
  const { timesteps, alphasCumprod, finalAlphaCumprod } = scheduler;
  const { num_train_timesteps, prediction_type } = scheduler.config;
  const stride = Math.floor(num_train_timesteps / timesteps.length);
  return {
    update(index) {
      const timestep = timesteps[index] as number;
      const alpha = alphaAt(alphasCumprod, timestep);
      const prev = timestep - stride;
      const alphaPrev = prev >= 0 ? alphaAt(alphasCumprod, prev) : finalAlphaCumprod;
      const x0 = cleanEstimate(prediction_type, sqrt(alpha), sqrt(1 - alpha));
      const eps = epsilonEstimate(prediction_type, sqrt(alpha), sqrt(1 - alpha));
      const [keep, direction] = [sqrt(alphaPrev), sqrt(1 - alphaPrev)];
      const update = { x: keep * x0.x + direction * eps.x, m: keep * x0.m + direction * eps.m };
      return stepFromEstimate(0, 1, update, 0, x0);
    },
    inputScale: () => 1,
  };
}

/** `sigma_data²` of the consistency-model boundary conditions (as in lcm.ts). */
const SIGMA_DATA_SQUARED = 0.25;

/**
 * LCM (`scheduling_lcm.py`): `denoised = c_out · x0 + c_skip · x`, then re-noised to the next
 * timestep, `x' = √ᾱ_next · denoised + √(1 − ᾱ_next) · n`, except after the last step (`x' = denoised`).
 */
export function lcmSchedule(scheduler: LcmScheduler): AffineSchedule {
  refuseClipSample(scheduler);
  const { timesteps, alphasCumprod } = scheduler;
  const { prediction_type, timestep_scaling } = scheduler.config;
  return {
    update(index) {
      const timestep = timesteps[index] as number;
      const alpha = alphaAt(alphasCumprod, timestep);
      const scaled = timestep * timestep_scaling;
      const cSkip = SIGMA_DATA_SQUARED / (scaled * scaled + SIGMA_DATA_SQUARED);
      const cOut = scaled / sqrt(scaled * scaled + SIGMA_DATA_SQUARED);
      const x0 = cleanEstimate(prediction_type, sqrt(alpha), sqrt(1 - alpha));
      const denoised = { x: cOut * x0.x + cSkip, m: cOut * x0.m };
      const next = timesteps[index + 1];
      if (next === undefined) return stepFromEstimate(0, 1, denoised, 0);
      const alphaNext = alphaAt(alphasCumprod, next);
      return stepFromEstimate(0, sqrt(alphaNext), denoised, sqrt(1 - alphaNext));
    },
    inputScale: () => 1,
  };
}
