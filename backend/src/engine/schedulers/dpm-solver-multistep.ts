import { z } from "zod";
import { checkTrainedBetas, noiseScheduleFields, onlyFalse, parseSchedulerConfig } from "./config.ts";
import { karrasSigmas, logSigmasFloat32, sigmaToT } from "./karras.ts";
import { drawNoise } from "./noise.ts";
import { interpOverIndices, trainingSchedule } from "./noise-schedule.ts";
import { npRint, searchSortedLeft } from "./numpy-compat.ts";
import { checkBeginIndex, checkSteps } from "./sigma-scheduler-base.ts";
import { StepIndex } from "./step-index.ts";
import { dpmSolverTimesteps } from "./timestep-spacing.ts";
import type { NoiseGenerator, Scheduler, SchedulerConfig, SchedulerStepResult } from "./types.ts";

const { fround, sqrt, exp, log } = Math;

/** `DPMSolverMultistepScheduler`'s config keys with diffusers' defaults; the unported options only at their default. */
const dpmSolverConfigSchema = z.object({
  ...noiseScheduleFields({ timestep_spacing: "linspace" }),
  solver_order: z.union([z.literal(1), z.literal(2)]).default(2),
  algorithm_type: z.enum(["dpmsolver++", "sde-dpmsolver++"]).default("dpmsolver++"),
  solver_type: z.literal("midpoint").default("midpoint"),
  lower_order_final: z.boolean().default(true),
  euler_at_final: z.boolean().default(false),
  use_karras_sigmas: z.boolean().nullable().default(false),
  use_exponential_sigmas: onlyFalse,
  use_beta_sigmas: onlyFalse,
  use_lu_lambdas: onlyFalse,
  use_flow_sigmas: onlyFalse,
  final_sigmas_type: z.enum(["zero", "sigma_min"]).default("zero"),
  lambda_min_clipped: z.number().or(z.literal(Number.NEGATIVE_INFINITY)).default(Number.NEGATIVE_INFINITY),
  variance_type: z.null().default(null),
  thresholding: z.literal(false).default(false),
});

export type DpmSolverMultistepConfig = z.infer<typeof dpmSolverConfigSchema>;

/** `_sigma_to_alpha_sigma_t`: `alpha_t = 1 / (sigma² + 1) ** 0.5`, `sigma_t = sigma * alpha_t`, float32. */
function alphaSigma(sigma: number): { alpha: number; sigmaT: number; lambda: number } {
  const alpha = fround(1 / fround(sqrt(fround(fround(sigma * sigma) + 1))));
  const sigmaT = fround(sigma * alpha);
  // lambda = log(alpha_t) - log(sigma_t): +Infinity at sigma 0, as torch gives.
  return { alpha, sigmaT, lambda: fround(fround(log(alpha)) - fround(log(sigmaT))) };
}

/**
 * DPM-Solver++ (Lu et al. 2022) in its multistep form, a port of diffusers'
 * `schedulers/scheduling_dpmsolver_multistep.py` for `algorithm_type` "dpmsolver++" (A1111's DPM++ 2M)
 * and "sde-dpmsolver++" (DPM++ 2M SDE, fresh noise from the generator at every step), orders 1 and 2
 * with the midpoint solver, Karras sigmas, `lower_order_final`, `euler_at_final` and
 * `final_sigmas_type`.
 *
 * @example
 * const scheduler = new DpmSolverMultistepScheduler({ use_karras_sigmas: true }, "dpmpp_2m_karras");
 * scheduler.setTimesteps(20);
 */
export class DpmSolverMultistepScheduler implements Scheduler {
  readonly name: string;
  readonly config: DpmSolverMultistepConfig;
  readonly order = 1;
  readonly initNoiseSigma = 1;
  timesteps: Float32Array;
  sigmas: Float32Array;
  readonly #alphasCumprod: Float32Array;
  readonly #trainSigmas: Float32Array;
  readonly #index = new StepIndex({ fallBackToLast: true });
  #modelOutputs: Float32Array[] = [];
  #lowerOrderNums = 0;

  constructor(config: SchedulerConfig = {}, name = "dpmpp_2m") {
    const parsed = parseSchedulerConfig("DPMSolverMultistepScheduler", dpmSolverConfigSchema, config);
    checkTrainedBetas("DPMSolverMultistepScheduler", parsed);
    this.config = parsed;
    this.name = name;
    const train = trainingSchedule(parsed, { zeroSnrEpsilon: true });
    this.#alphasCumprod = train.alphasCumprod;
    this.#trainSigmas = train.sigmas;
    const trainSteps = parsed.num_train_timesteps;
    this.timesteps = Float32Array.from({ length: trainSteps }, (_, i) => trainSteps - 1 - i);
    this.sigmas = train.sigmas;
  }

  setTimesteps(steps: number): void {
    checkSteps(steps);
    const { num_train_timesteps, timestep_spacing, steps_offset, final_sigmas_type } = this.config;
    const trainSigmas = this.#trainSigmas;
    // Clip the smallest lambda(t) for numerical stability (matters for the cosine schedule).
    const lambdas = this.#alphasCumprod.map((a) => {
      const alpha = fround(sqrt(a));
      const sigma = fround(sqrt(fround(1 - a)));
      return fround(fround(log(alpha)) - fround(log(sigma)));
    });
    const clipped = searchSortedLeft(lambdas.reverse(), this.config.lambda_min_clipped);
    const lastTimestep = num_train_timesteps - clipped;
    let timesteps = dpmSolverTimesteps(
      timestep_spacing,
      num_train_timesteps,
      lastTimestep,
      steps,
      steps_offset,
    );
    let sigmas: number[];
    if (this.config.use_karras_sigmas === true) {
      // In the flipped training sigmas the first is the largest and the last the smallest.
      sigmas = karrasSigmas(trainSigmas[0] as number, trainSigmas[trainSigmas.length - 1] as number, steps);
      const logSigmas = logSigmasFloat32(trainSigmas);
      timesteps = sigmas.map((sigma) => npRint(sigmaToT(sigma, logSigmas)));
    } else {
      sigmas = timesteps.map((t) => interpOverIndices(t, trainSigmas));
    }
    const sigmaLast = final_sigmas_type === "sigma_min" ? (trainSigmas[0] as number) : 0;
    this.timesteps = Float32Array.from(timesteps);
    this.sigmas = Float32Array.from([...sigmas, sigmaLast]);
    this.#modelOutputs = [];
    this.#lowerOrderNums = 0;
    this.#index.reset();
  }

  setBeginIndex(index: number): void {
    checkBeginIndex(index, this.timesteps.length);
    this.#index.setBeginIndex(index);
  }

  /** DPM-Solver's model input is the sample itself. */
  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  step(
    modelOutput: Float32Array,
    timestep: number,
    sample: Float32Array,
    generator?: NoiseGenerator,
    shape?: readonly number[],
  ): SchedulerStepResult {
    const index = this.#index.current(this.timesteps, timestep);
    const { solver_order, lower_order_final, euler_at_final, final_sigmas_type, algorithm_type } =
      this.config;
    const last = this.timesteps.length - 1;
    const fewSteps = lower_order_final && this.timesteps.length < 15;
    // Lower orders at the end improve stability for few steps; a final sigma of 0 needs a first-order step.
    const lowerOrderFinal = index === last && (euler_at_final || fewSteps || final_sigmas_type === "zero");
    // (`lower_order_second` only matters for third order, which this port does not offer.)

    const x0 = this.#convertModelOutput(modelOutput, sample, index);
    this.#modelOutputs.push(x0);
    if (this.#modelOutputs.length > solver_order) this.#modelOutputs.shift();

    const noise =
      algorithm_type === "sde-dpmsolver++"
        ? drawNoise(this.name, generator, sample.length, shape)
        : undefined;
    const firstOrder = solver_order === 1 || this.#lowerOrderNums < 1 || lowerOrderFinal;
    const prevSample = firstOrder
      ? this.#firstOrderUpdate(x0, sample, index, noise)
      : this.#secondOrderUpdate(sample, index, noise);
    if (this.#lowerOrderNums < solver_order) this.#lowerOrderNums += 1;
    this.#index.advance();
    return { prevSample, predOriginalSample: x0 };
  }

  /**
   * DPM-Solver++ integrates the data prediction: `x0_pred` from the model output, float32. Here and in
   * the updates the common cases are plain loops: TypedArray#map's callback per value is about four
   * times slower on a latent, and this runs between every two UNet calls.
   */
  #convertModelOutput(modelOutput: Float32Array, sample: Float32Array, index: number): Float32Array {
    const { alpha, sigmaT } = alphaSigma(this.#sigmaAt(index));
    switch (this.config.prediction_type) {
      case "epsilon": {
        // (sample - sigma_t * model_output) / alpha_t
        const out = new Float32Array(sample.length);
        for (let i = 0; i < out.length; i++)
          out[i] = fround((sample[i] as number) - fround(sigmaT * (modelOutput[i] as number))) / alpha;
        return out;
      }
      case "v_prediction":
        // alpha_t * sample - sigma_t * model_output
        return sample.map((x, i) => fround(alpha * x) - fround(sigmaT * (modelOutput[i] as number)));
      case "sample":
        return Float32Array.from(modelOutput);
    }
  }

  /** `dpm_solver_first_order_update` (DDIM in lambda). */
  #firstOrderUpdate(
    x0: Float32Array,
    sample: Float32Array,
    index: number,
    noise: Float32Array | undefined,
  ): Float32Array {
    const t = alphaSigma(this.#sigmaAt(index + 1));
    const s = alphaSigma(this.#sigmaAt(index));
    const h = fround(t.lambda - s.lambda);
    const expMinusH = fround(exp(-h));
    if (noise === undefined) {
      // (sigma_t / sigma_s) * sample - (alpha_t * (exp(-h) - 1)) * x0
      const sampleScale = fround(t.sigmaT / s.sigmaT);
      const x0Scale = fround(t.alpha * fround(expMinusH - 1));
      const out = new Float32Array(sample.length);
      for (let i = 0; i < out.length; i++)
        out[i] = fround(sampleScale * (sample[i] as number)) - fround(x0Scale * (x0[i] as number));
      return out;
    }
    // (sigma_t / sigma_s * exp(-h)) * sample + (alpha_t * (1 - exp(-2h))) * x0 + sigma_t * sqrt(1 - exp(-2h)) * noise
    const expMinus2H = fround(exp(fround(-2 * h)));
    const sampleScale = fround(fround(t.sigmaT / s.sigmaT) * expMinusH);
    const x0Scale = fround(t.alpha * fround(1 - expMinus2H));
    const noiseScale = fround(t.sigmaT * fround(sqrt(fround(1 - expMinus2H))));
    return sample.map(
      (x, i) =>
        fround(fround(sampleScale * x) + fround(x0Scale * (x0[i] as number))) +
        fround(noiseScale * (noise[i] as number)),
    );
  }

  /** `multistep_dpm_solver_second_order_update`, midpoint solver. */
  #secondOrderUpdate(sample: Float32Array, index: number, noise: Float32Array | undefined): Float32Array {
    const m0 = this.#modelOutputs[this.#modelOutputs.length - 1] as Float32Array;
    const m1 = this.#modelOutputs[this.#modelOutputs.length - 2] as Float32Array;
    const t = alphaSigma(this.#sigmaAt(index + 1));
    const s0 = alphaSigma(this.#sigmaAt(index));
    const s1 = alphaSigma(this.#sigmaAt(index - 1));
    const h = fround(t.lambda - s0.lambda);
    const h0 = fround(s0.lambda - s1.lambda);
    const r0 = fround(h0 / h);
    // D1 = (1 / r0) * (m0 - m1)
    const d1Scale = fround(1 / r0);
    const d1 = new Float32Array(m0.length);
    for (let i = 0; i < d1.length; i++)
      d1[i] = fround(d1Scale * fround((m0[i] as number) - (m1[i] as number)));
    const expMinusH = fround(exp(-h));
    if (noise === undefined) {
      // (sigma_t / sigma_s0) * sample - (alpha_t * (exp(-h) - 1)) * D0 - 0.5 * (alpha_t * (exp(-h) - 1)) * D1
      const sampleScale = fround(t.sigmaT / s0.sigmaT);
      const d0Scale = fround(t.alpha * fround(expMinusH - 1));
      const halfD0Scale = fround(0.5 * d0Scale);
      const out = new Float32Array(sample.length);
      for (let i = 0; i < out.length; i++) {
        const drift = fround(
          fround(sampleScale * (sample[i] as number)) - fround(d0Scale * (m0[i] as number)),
        );
        out[i] = drift - fround(halfD0Scale * (d1[i] as number));
      }
      return out;
    }
    // (sigma_t / sigma_s0 * exp(-h)) * sample + (alpha_t * (1 - exp(-2h))) * D0
    //   + 0.5 * (alpha_t * (1 - exp(-2h))) * D1 + sigma_t * sqrt(1 - exp(-2h)) * noise
    const expMinus2H = fround(exp(fround(-2 * h)));
    const sampleScale = fround(fround(t.sigmaT / s0.sigmaT) * expMinusH);
    const d0Scale = fround(t.alpha * fround(1 - expMinus2H));
    const halfD0Scale = fround(0.5 * d0Scale);
    const noiseScale = fround(t.sigmaT * fround(sqrt(fround(1 - expMinus2H))));
    return sample.map((x, i) => {
      const drift = fround(fround(sampleScale * x) + fround(d0Scale * (m0[i] as number)));
      return (
        fround(drift + fround(halfD0Scale * (d1[i] as number))) + fround(noiseScale * (noise[i] as number))
      );
    });
  }

  /** `alpha_t * original + sigma_t * noise` at the begin (img2img) or current (inpainting) index. */
  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array {
    const { alpha, sigmaT } = alphaSigma(this.#sigmaAt(this.#index.forAddNoise(this.timesteps, timestep)));
    return original.map((x, i) => fround(alpha * x) + fround(sigmaT * (noise[i] as number)));
  }

  #sigmaAt(index: number): number {
    const sigma = this.sigmas[index];
    if (sigma === undefined)
      throw new RangeError(`${this.name} stepped past its last timestep (step ${index})`);
    return sigma;
  }
}
