import type { StepControl } from "../control/step-control.ts";
import type { UNetSession } from "../models/unet.ts";
import type { Scheduler } from "../schedulers/index.ts";
import type { ScheduledConditioning } from "./conditioning-schedule.ts";
import { denoise } from "./denoise.ts";
import { strengthSchedule } from "./img2img.ts";
import type { Generator } from "./noise-source.ts";

const { fround } = Math;

/** A1111's "Hires. fix" second pass, as the request resolves it. */
export interface HiresPass {
  /** As asked for. */
  scale: number;
  /** Final size in pixels: the contract's `outputSize`. */
  width: number;
  height: number;
  /** Steps of the second pass's schedule, of which the contract's `stepsRun` run. */
  steps: number;
  strength: number;
}

/**
 * `torch.nn.functional.interpolate(latents, size, mode="bilinear", align_corners=False)` (A1111's
 * "Latent" upscaler) on `[channels, h, w]`: each output pixel samples the input at its centre.
 */
export function upscaleLatents(
  latents: Float32Array,
  channels: number,
  from: { height: number; width: number },
  to: { height: number; width: number },
): Float32Array {
  const out = new Float32Array(channels * to.height * to.width);
  const scaleY = from.height / to.height;
  const scaleX = from.width / to.width;
  const source = (size: number, scale: number, index: number) => {
    const real = Math.max(0, (index + 0.5) * scale - 0.5);
    const low = Math.min(Math.floor(real), size - 1);
    return { low, high: Math.min(low + 1, size - 1), weight: real - low };
  };
  for (let y = 0; y < to.height; y++) {
    const sy = source(from.height, scaleY, y);
    for (let x = 0; x < to.width; x++) {
      const sx = source(from.width, scaleX, x);
      for (let c = 0; c < channels; c++) {
        const plane = c * from.height * from.width;
        const at = (yy: number, xx: number) => latents[plane + yy * from.width + xx] as number;
        const top = at(sy.low, sx.low) * (1 - sx.weight) + at(sy.low, sx.high) * sx.weight;
        const bottom = at(sy.high, sx.low) * (1 - sx.weight) + at(sy.high, sx.high) * sx.weight;
        out[c * to.height * to.width + y * to.width + x] = fround(top * (1 - sy.weight) + bottom * sy.weight);
      }
    }
  }
  return out;
}

export interface HiresRequest {
  pass: HiresPass;
  latents: Float32Array;
  latentChannels: number;
  /** The first pass's latent size. */
  from: { height: number; width: number };
  unet: UNetSession;
  /** A fresh scheduler of the request's kind. */
  scheduler: Scheduler;
  /** The prompt as it reads at the end of the first pass. */
  conditioning: ScheduledConditioning;
  guidanceScale: number;
  generator: Generator;
  /** ControlNet units with their maps at the final size (A1111 applies them to both passes). */
  control?: StepControl;
  afterStep: (done: number, steps: number) => void;
}

/**
 * The second pass: the first pass's latents upscaled (bilinear), re-noised to the strength's first
 * timestep with the image's generator, and denoised at the final size, as img2img is.
 */
export async function hiresPass(request: HiresRequest): Promise<Float32Array> {
  const { pass, scheduler } = request;
  const to = { height: pass.height / 8, width: pass.width / 8 };
  scheduler.setTimesteps(pass.steps);
  const { beginIndex } = strengthSchedule(pass.steps, pass.strength, scheduler.order);
  const timesteps = scheduler.timesteps.subarray(beginIndex);
  scheduler.setBeginIndex(beginIndex);
  const latentDims = [1, request.latentChannels, to.height, to.width] as const;
  const upscaled = upscaleLatents(request.latents, request.latentChannels, request.from, to);
  const noise = request.generator.randn(latentDims);
  const start = { latents: scheduler.addNoise(upscaled, noise, timesteps[0] as number) };
  return denoise({
    unet: request.unet,
    scheduler,
    timesteps,
    start,
    latentDims,
    conditioning: [{ ...request.conditioning, endAtStep: timesteps.length }],
    guidanceScale: request.guidanceScale,
    generator: request.generator,
    ...(request.control === undefined ? {} : { control: request.control }),
    afterStep: (done) => request.afterStep(done, timesteps.length),
  });
}
