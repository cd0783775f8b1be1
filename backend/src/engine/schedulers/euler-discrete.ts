import { z } from "zod";
import { checkTrainedBetas, noiseScheduleFields, onlyFalse, parseSchedulerConfig } from "./config.ts";
import { karrasSigmas, logSigmasFloat32, sigmaToT } from "./karras.ts";
import { interpOverIndices, trainingSchedule } from "./noise-schedule.ts";
import { checkSteps, SigmaSchedulerBase } from "./sigma-scheduler-base.ts";
import { eulerTimesteps } from "./timestep-spacing.ts";
import type { SchedulerConfig, SchedulerStepResult } from "./types.ts";

const { fround } = Math;

/** `EulerDiscreteScheduler`'s config keys with diffusers' defaults. */
const eulerConfigSchema = z.object({
  ...noiseScheduleFields({ timestep_spacing: "linspace" }),
  prediction_type: z.enum(["epsilon", "v_prediction", "sample", "original_sample"]).default("epsilon"),
  interpolation_type: z.literal("linear").default("linear"),
  use_karras_sigmas: z.boolean().nullable().default(false),
  use_exponential_sigmas: onlyFalse,
  use_beta_sigmas: onlyFalse,
  sigma_min: z.number().positive().nullable().default(null),
  sigma_max: z.number().positive().nullable().default(null),
  timestep_type: z.literal("discrete").default("discrete"),
  final_sigmas_type: z.enum(["zero", "sigma_min"]).default("zero"),
});

export type EulerDiscreteConfig = z.infer<typeof eulerConfigSchema>;

/** Parse a diffusers config object, naming the offending key when one is invalid or unsupported. */
export function parseEulerConfig(config: SchedulerConfig): EulerDiscreteConfig {
  const parsed = parseSchedulerConfig("EulerDiscreteScheduler", eulerConfigSchema, config);
  checkTrainedBetas("EulerDiscreteScheduler", parsed);
  return parsed;
}

/**
 * Euler's method over the probability-flow ODE (Karras et al. 2022, Algorithm 2 without churn), a port
 * of diffusers' `schedulers/scheduling_euler_discrete.py`: the three timestep spacings, linear sigma
 * interpolation or Karras sigmas, `final_sigmas_type`, and float32 arithmetic in torch's order.
 *
 * @example
 * const scheduler = new EulerDiscreteScheduler({ beta_schedule: "scaled_linear", beta_start: 0.00085, beta_end: 0.012 });
 * scheduler.setTimesteps(20);
 */
export class EulerDiscreteScheduler extends SigmaSchedulerBase {
  readonly name: string;
  readonly config: EulerDiscreteConfig;

  constructor(config: SchedulerConfig = {}, name = "euler") {
    const parsed = parseEulerConfig(config);
    super(trainingSchedule(parsed, { zeroSnrEpsilon: true }), parsed.timestep_spacing);
    this.config = parsed;
    this.name = name;
  }

  setTimesteps(steps: number): void {
    checkSteps(steps);
    const { num_train_timesteps, timestep_spacing, steps_offset, final_sigmas_type } = this.config;
    const trainSigmas = this.train.sigmas;
    let timesteps = eulerTimesteps(timestep_spacing, num_train_timesteps, steps, steps_offset);
    // np.interp in float64 over the float32 training sigmas.
    let sigmas = Array.from(timesteps, (t) => interpOverIndices(t, trainSigmas));
    if (this.config.use_karras_sigmas === true) {
      const sigmaMin = this.config.sigma_min ?? (sigmas[sigmas.length - 1] as number);
      const sigmaMax = this.config.sigma_max ?? (sigmas[0] as number);
      sigmas = karrasSigmas(sigmaMin, sigmaMax, steps);
      const logSigmas = logSigmasFloat32(trainSigmas);
      timesteps = Float32Array.from(sigmas, (sigma) => sigmaToT(sigma, logSigmas));
    }
    const sigmaLast = final_sigmas_type === "sigma_min" ? (trainSigmas[0] as number) : 0;
    this.timesteps = timesteps;
    this.sigmas = Float32Array.from([...sigmas, sigmaLast]);
    this.index.reset();
  }

  /** `prev = sample + (sample - x0) / sigma * (sigma_next - sigma)`; no churn (`s_churn` 0), so no noise. */
  step(modelOutput: Float32Array, timestep: number, sample: Float32Array): SchedulerStepResult {
    const index = this.index.current(this.timesteps, timestep);
    const sigma = this.sigmaAt(index);
    const dt = fround(this.sigmaAt(index + 1) - sigma);
    const predOriginalSample = predictOriginal(this.config.prediction_type, modelOutput, sample, sigma);
    const prevSample = new Float32Array(sample.length);
    for (let i = 0; i < sample.length; i++) {
      const x = sample[i] as number;
      const derivative = fround(fround(x - (predOriginalSample[i] as number)) / sigma);
      prevSample[i] = x + fround(derivative * dt);
    }
    this.index.advance();
    return { prevSample, predOriginalSample };
  }
}

/** The clean-sample estimate of the Euler schedulers for each `prediction_type`, in float32. */
export function predictOriginal(
  predictionType: string,
  modelOutput: Float32Array,
  sample: Float32Array,
  sigma: number,
): Float32Array {
  const out = new Float32Array(sample.length);
  switch (predictionType) {
    case "epsilon":
      for (let i = 0; i < out.length; i++)
        out[i] = (sample[i] as number) - fround(sigma * (modelOutput[i] as number));
      break;
    case "v_prediction": {
      // model_output * (-sigma / (sigma**2 + 1) ** 0.5) + (sample / (sigma**2 + 1))
      const variance = fround(fround(sigma * sigma) + 1);
      const outScale = fround(-sigma / fround(Math.sqrt(variance)));
      for (let i = 0; i < out.length; i++) {
        out[i] = fround((modelOutput[i] as number) * outScale) + fround((sample[i] as number) / variance);
      }
      break;
    }
    default:
      out.set(modelOutput);
  }
  return out;
}
