import type { StepControl } from "../control/step-control.ts";
import type { UNetSession } from "../models/unet.ts";
import type { Scheduler } from "../schedulers/index.ts";
import { conditioningAt, type ScheduledConditioning } from "./conditioning-schedule.ts";
import { blendKnownLatents, concatInpaintChannels } from "./inpaint.ts";
import type { Generator } from "./noise-source.ts";
import type { DenoiseStart } from "./start-latents.ts";
import { applyGuidance, repeatBatch } from "./tensor-math.ts";

export interface DenoiseRequest {
  unet: UNetSession;
  scheduler: Scheduler;
  /** The timesteps to run, from the start index on. */
  timesteps: Float32Array;
  start: DenoiseStart;
  latentDims: readonly [number, number, number, number];
  /** Per step (see `conditioningAt`): one entry unless the prompt is edited or alternates. */
  conditioning: readonly ScheduledConditioning[];
  guidanceScale: number;
  generator: Generator;
  /** ControlNet units of this pass: their residuals go to the ControlNet UNet on the steps they act. */
  control?: StepControl;
  /** Called after every step with the number of steps done; throws to stop. */
  afterStep: (done: number) => void;
  /**
   * Where `timesteps` start in the run's steps (the refiner's share starts at its switch step), so
   * that an edited prompt's schedule picks each step's conditioning; default 0.
   */
  firstStep?: number;
}

/**
 * The denoising loop of diffusers' SD pipelines: per timestep, scale the latents, run the UNet once
 * on `[uncond, cond]` (with an inpainting UNet's mask and masked-image channels appended), apply
 * classifier-free guidance, and step the scheduler with the image's generator; a regular UNet that
 * inpaints keeps the known region by blending in the re-noised original latents after each step.
 */
export async function denoise(request: DenoiseRequest): Promise<Float32Array> {
  const { unet, scheduler, timesteps, start, latentDims } = request;
  const [, channels, h, w] = latentDims;
  let latents = start.latents;
  for (let i = 0; i < timesteps.length; i++) {
    const conditioning = conditioningAt(request.conditioning, (request.firstStep ?? 0) + i);
    const batch = conditioning.batch;
    const t = timesteps[i] as number;
    const scaled = scheduler.scaleModelInput(latents, t);
    let sample = batch > 1 ? repeatBatch(scaled, batch) : scaled;
    const residuals = await request.control?.residualsAt({
      step: i,
      steps: timesteps.length,
      sample,
      sampleDims: [batch, channels, h, w],
      timestep: t,
      context: conditioning.context,
      contextDims: conditioning.contextDims,
      ...optional("textEmbeds", conditioning.textEmbeds),
      ...optional("timeIds", conditioning.timeIds),
    });
    let sampleChannels = channels;
    if (start.inpaintInput !== undefined) {
      const { mask, maskedImageLatents } = start.inpaintInput;
      sample = concatInpaintChannels(sample, batch, mask, maskedImageLatents);
      sampleChannels = channels + 1 + maskedImageLatents.length / (h * w);
    }
    const stepUnet = residuals === undefined ? unet : (request.control?.unet ?? unet);
    const prediction = await stepUnet.predict({
      sample,
      sampleDims: [batch, sampleChannels, h, w],
      timestep: t,
      context: conditioning.context,
      contextDims: conditioning.contextDims,
      ...optional("textEmbeds", conditioning.textEmbeds),
      ...optional("timeIds", conditioning.timeIds),
      ...optional("timestepCond", conditioning.timestepCond),
      ...(residuals === undefined ? {} : { residuals }),
    });
    const noise =
      batch > 1 ? applyGuidance(prediction, request.guidanceScale, conditioning.condWeights) : prediction;
    latents = scheduler.step(noise, t, latents, request.generator, latentDims).prevSample;
    if (start.blend !== undefined) {
      const { imageLatents, noise: initialNoise, mask } = start.blend;
      const next = timesteps[i + 1];
      const known = next === undefined ? imageLatents : scheduler.addNoise(imageLatents, initialNoise, next);
      latents = blendKnownLatents(latents, known, mask);
    }
    request.afterStep(i + 1);
  }
  return latents;
}

function optional<K extends string>(key: K, value: Float32Array | undefined): { [P in K]?: Float32Array } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: Float32Array };
}
