import { z } from "zod";
import { checkTrainedBetas, noiseScheduleFields, parseSchedulerConfig } from "./config.ts";
import { predictOriginal } from "./euler-discrete.ts";
import { drawNoise } from "./noise.ts";
import { interpOverIndices, trainingSchedule } from "./noise-schedule.ts";
import { checkSteps, SigmaSchedulerBase } from "./sigma-scheduler-base.ts";
import { eulerTimesteps } from "./timestep-spacing.ts";
import type { NoiseGenerator, SchedulerConfig, SchedulerStepResult } from "./types.ts";

const { fround, sqrt } = Math;

/** `EulerAncestralDiscreteScheduler`'s config keys with diffusers' defaults (it has no `sample` prediction). */
const eulerAncestralConfigSchema = z.object({
  ...noiseScheduleFields({ timestep_spacing: "linspace" }),
  prediction_type: z.enum(["epsilon", "v_prediction"]).default("epsilon"),
});

export type EulerAncestralDiscreteConfig = z.infer<typeof eulerAncestralConfigSchema>;

/**
 * Euler ancestral sampling (k-diffusion's `sample_euler_ancestral`), a port of diffusers'
 * `schedulers/scheduling_euler_ancestral_discrete.py`: an Euler step down to `sigma_down`, then fresh
 * noise of scale `sigma_up` from the generator, drawn at every step as diffusers draws it.
 *
 * @example
 * const scheduler = new EulerAncestralDiscreteScheduler({ timestep_spacing: "trailing" });
 * scheduler.setTimesteps(4);
 * scheduler.step(modelOutput, scheduler.timesteps[0], sample, createGenerator(0), [1, 4, 64, 64]);
 */
export class EulerAncestralDiscreteScheduler extends SigmaSchedulerBase {
  readonly name: string;
  readonly config: EulerAncestralDiscreteConfig;

  constructor(config: SchedulerConfig = {}, name = "euler_a") {
    const parsed = parseSchedulerConfig(
      "EulerAncestralDiscreteScheduler",
      eulerAncestralConfigSchema,
      config,
    );
    checkTrainedBetas("EulerAncestralDiscreteScheduler", parsed);
    super(trainingSchedule(parsed, { zeroSnrEpsilon: true }), parsed.timestep_spacing);
    this.config = parsed;
    this.name = name;
  }

  setTimesteps(steps: number): void {
    checkSteps(steps);
    const { num_train_timesteps, timestep_spacing, steps_offset } = this.config;
    this.timesteps = eulerTimesteps(timestep_spacing, num_train_timesteps, steps, steps_offset);
    const sigmas = Array.from(this.timesteps, (t) => interpOverIndices(t, this.train.sigmas));
    this.sigmas = Float32Array.from([...sigmas, 0]);
    this.index.reset();
  }

  step(
    modelOutput: Float32Array,
    timestep: number,
    sample: Float32Array,
    generator?: NoiseGenerator,
    shape?: readonly number[],
  ): SchedulerStepResult {
    const index = this.index.current(this.timesteps, timestep);
    const sigma = this.sigmaAt(index);
    const sigmaTo = this.sigmaAt(index + 1);
    const predOriginalSample = predictOriginal(this.config.prediction_type, modelOutput, sample, sigma);
    // sigma_up = (sigma_to**2 * (sigma_from**2 - sigma_to**2) / sigma_from**2) ** 0.5, all float32.
    const fromSquared = fround(sigma * sigma);
    const toSquared = fround(sigmaTo * sigmaTo);
    const sigmaUp = fround(sqrt(fround(fround(toSquared * fround(fromSquared - toSquared)) / fromSquared)));
    const sigmaDown = fround(sqrt(fround(toSquared - fround(sigmaUp * sigmaUp))));
    const dt = fround(sigmaDown - sigma);
    const noise = drawNoise(this.name, generator, sample.length, shape);
    const prevSample = new Float32Array(sample.length);
    for (let i = 0; i < sample.length; i++) {
      const x = sample[i] as number;
      const derivative = fround(fround(x - (predOriginalSample[i] as number)) / sigma);
      const stepped = fround(x + fround(derivative * dt));
      prevSample[i] = stepped + fround((noise[i] as number) * sigmaUp);
    }
    this.index.advance();
    return { prevSample, predOriginalSample };
  }
}
