import { z } from "zod";
import {
  alphasCumprod,
  type BetaSchedule,
  interpOverIndices,
  makeBetas,
  sigmasFromAlphasCumprod,
} from "./noise-schedule.ts";
import type { Scheduler, SchedulerConfig, SchedulerStepResult } from "./types.ts";

const { fround } = Math;

/**
 * The keys of `EulerDiscreteScheduler`'s config with diffusers' defaults; options this port does not
 * implement yet are accepted only at their default so that a config needing them fails loudly.
 */
const eulerConfigSchema = z.object({
  num_train_timesteps: z.number().int().positive().default(1000),
  beta_start: z.number().positive().default(0.0001),
  beta_end: z.number().positive().default(0.02),
  beta_schedule: z.enum(["linear", "scaled_linear", "squaredcos_cap_v2"]).default("linear"),
  trained_betas: z.array(z.number()).nullable().default(null),
  prediction_type: z.enum(["epsilon", "v_prediction", "sample", "original_sample"]).default("epsilon"),
  interpolation_type: z.literal("linear").default("linear"),
  use_karras_sigmas: z.literal(false).nullable().default(false),
  use_exponential_sigmas: z.literal(false).nullable().default(false),
  use_beta_sigmas: z.literal(false).nullable().default(false),
  timestep_spacing: z.enum(["linspace", "leading", "trailing"]).default("linspace"),
  timestep_type: z.literal("discrete").default("discrete"),
  steps_offset: z.number().int().nonnegative().default(0),
  rescale_betas_zero_snr: z.literal(false).default(false),
  final_sigmas_type: z.enum(["zero", "sigma_min"]).default("zero"),
});

export type EulerDiscreteConfig = z.infer<typeof eulerConfigSchema>;

/** Parse a diffusers config object, naming the offending key when one is invalid or unsupported. */
export function parseEulerConfig(config: SchedulerConfig): EulerDiscreteConfig {
  const result = eulerConfigSchema.safeParse(config);
  if (!result.success) {
    const issue = result.error.issues[0];
    const key = issue?.path.join(".") ?? "?";
    throw new Error(
      `EulerDiscreteScheduler config: ${key} = ${JSON.stringify(config[key])} is invalid or not supported (${issue?.message})`,
    );
  }
  return result.data;
}

/**
 * Euler's method over the probability-flow ODE (Karras et al. 2022, Algorithm 2 without churn), a port
 * of diffusers' `schedulers/scheduling_euler_discrete.py`: same timestep spacings, sigma
 * interpolation, `init_noise_sigma`, and float32 arithmetic in the same order.
 *
 * @example
 * const scheduler = new EulerDiscreteScheduler({ beta_schedule: "scaled_linear", beta_start: 0.00085, beta_end: 0.012 });
 * scheduler.setTimesteps(20);
 */
export class EulerDiscreteScheduler implements Scheduler {
  readonly name = "euler";
  readonly config: EulerDiscreteConfig;
  timesteps = new Float32Array(0);
  sigmas = new Float32Array(0);
  readonly #alphasCumprod: Float32Array;
  readonly #trainSigmas: Float32Array;
  #stepIndex: number | undefined;

  constructor(config: SchedulerConfig = {}) {
    this.config = parseEulerConfig(config);
    const { trained_betas, beta_schedule, beta_start, beta_end, num_train_timesteps } = this.config;
    const betas =
      trained_betas !== null
        ? Float32Array.from(trained_betas)
        : makeBetas(beta_schedule as BetaSchedule, beta_start, beta_end, num_train_timesteps);
    this.#alphasCumprod = alphasCumprod(betas);
    this.#trainSigmas = sigmasFromAlphasCumprod(this.#alphasCumprod);
    // Before setTimesteps, diffusers holds the full training schedule.
    this.timesteps = Float32Array.from(
      { length: num_train_timesteps },
      (_, i) => num_train_timesteps - 1 - i,
    );
    this.sigmas = Float32Array.from([...this.#trainSigmas].reverse().concat(0));
  }

  get initNoiseSigma(): number {
    const maxSigma = this.sigmas.reduce((a, b) => Math.max(a, b), 0);
    const spacing = this.config.timestep_spacing;
    return spacing === "linspace" || spacing === "trailing"
      ? maxSigma
      : fround(Math.sqrt(fround(maxSigma * maxSigma + 1)));
  }

  setTimesteps(steps: number): void {
    if (!Number.isInteger(steps) || steps < 1)
      throw new Error(`steps must be a positive integer, got ${steps}`);
    const { num_train_timesteps: trainSteps, timestep_spacing, steps_offset } = this.config;
    let timesteps: number[];
    if (timestep_spacing === "linspace") {
      // np.linspace(0, trainSteps - 1, steps, dtype=np.float32)[::-1]
      const last = trainSteps - 1;
      const spacing = steps > 1 ? last / (steps - 1) : 0;
      timesteps = Array.from({ length: steps }, (_, i) =>
        i === steps - 1 && steps > 1 ? last : i * spacing,
      );
      timesteps.reverse();
    } else if (timestep_spacing === "leading") {
      const ratio = Math.floor(trainSteps / steps);
      timesteps = Array.from({ length: steps }, (_, i) => (steps - 1 - i) * ratio + steps_offset);
    } else {
      // np.arange(trainSteps, 0, -trainSteps / steps).round() - 1; np.round rounds half to even.
      const ratio = trainSteps / steps;
      timesteps = [];
      for (let t = trainSteps; t > 0; t -= ratio) timesteps.push(roundHalfEven(t) - 1);
    }
    this.timesteps = Float32Array.from(timesteps);
    const interpolated = Array.from(this.timesteps, (t) => interpOverIndices(t, this.#trainSigmas));
    const sigmaLast = this.config.final_sigmas_type === "sigma_min" ? (this.#trainSigmas[0] as number) : 0;
    this.sigmas = Float32Array.from([...interpolated, sigmaLast]);
    this.#stepIndex = undefined;
  }

  scaleModelInput(sample: Float32Array, timestep: number): Float32Array {
    const sigma = this.#sigmaAt(this.#currentStepIndex(timestep));
    const scale = fround(Math.sqrt(fround(fround(sigma * sigma) + 1)));
    return sample.map((x) => x / scale);
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array): SchedulerStepResult {
    const index = this.#currentStepIndex(timestep);
    const sigma = this.#sigmaAt(index);
    // No churn (s_churn = 0, diffusers' default), so sigma_hat = sigma.
    const sigmaHat = sigma;
    const dt = fround(this.#sigmaAt(index + 1) - sigmaHat);
    const predOriginalSample = this.#predictOriginal(modelOutput, sample, sigma);
    const prevSample = new Float32Array(sample.length);
    for (let i = 0; i < sample.length; i++) {
      const x = sample[i] as number;
      const derivative = fround(fround(x - (predOriginalSample[i] as number)) / sigmaHat);
      prevSample[i] = x + fround(derivative * dt);
    }
    this.#stepIndex = index + 1;
    return { prevSample, predOriginalSample };
  }

  #predictOriginal(modelOutput: Float32Array, sample: Float32Array, sigma: number): Float32Array {
    const out = new Float32Array(sample.length);
    switch (this.config.prediction_type) {
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
      case "sample":
      case "original_sample":
        out.set(modelOutput);
        break;
    }
    return out;
  }

  #sigmaAt(index: number): number {
    const sigma = this.sigmas[index];
    if (sigma === undefined) throw new Error(`scheduler stepped past its last timestep (step ${index})`);
    return sigma;
  }

  /** diffusers' `_init_step_index`: the first call locates the timestep, later calls count steps. */
  #currentStepIndex(timestep: number): number {
    if (this.#stepIndex === undefined) {
      const matches: number[] = [];
      this.timesteps.forEach((t, i) => {
        if (t === fround(timestep)) matches.push(i);
      });
      // With a repeated timestep diffusers starts at the second occurrence (for img2img).
      const index = matches.length > 1 ? matches[1] : matches[0];
      if (index === undefined) throw new Error(`timestep ${timestep} is not in the scheduler's schedule`);
      this.#stepIndex = index;
    }
    return this.#stepIndex;
  }
}

function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff !== 0.5) return Math.round(x);
  return floor % 2 === 0 ? floor : floor + 1;
}
