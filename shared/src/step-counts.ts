import { outputSize, type ResolvedGenerationRequest } from "./generation-request.ts";
import { refinerSwitchStep, sdxlScheduleTimesteps } from "./refiner.ts";

/** One denoising pass of an image: how many steps run, at what size. */
export interface DenoisingPass {
  /** Steps the scheduler's schedule is set to. */
  scheduleSteps: number;
  /** Steps that run: the last `steps` of the schedule. */
  steps: number;
  width: number;
  height: number;
}

/** What a request denoises: the engine runs it, serving and the edge estimate and price it. */
export interface StepCounts {
  /** The pass at the request's size; with `hires`, a second at {@link outputSize}. */
  passes: readonly [DenoisingPass, ...DenoisingPass[]];
  /** Steps one image runs, all passes together. */
  stepsPerImage: number;
  /** Each pass's steps × width × height, summed over passes and × `n`. */
  pixelSteps: number;
}

/** The fields the step counts depend on. */
export type StepCountFields = Pick<
  ResolvedGenerationRequest,
  "width" | "height" | "steps" | "strength" | "n" | "hires"
>;

/**
 * The steps that run of a `scheduleSteps`-step schedule started at `strength` (`null`: from pure
 * noise, all of them). diffusers' `StableDiffusionImg2ImgPipeline.get_timesteps`:
 * `min(int(num_inference_steps * strength), num_inference_steps)`, with the same double-precision
 * product, so `100 × 0.29` runs 28 steps there and here. It can be 0; the engine refuses such a request.
 *
 * @example
 * stepsRun(10, 0.33) // 3
 */
export function stepsRun(scheduleSteps: number, strength: number | null): number {
  if (strength === null) return scheduleSteps;
  return Math.min(Math.trunc(scheduleSteps * strength), scheduleSteps);
}

/**
 * The denoising a resolved request asks for: img2img and inpainting run {@link stepsRun} of `steps`;
 * hires adds A1111's second pass at the final size, which the engine runs as img2img does
 * (`hires.strength` of `hires.steps`, truncated), not A1111's own count.
 *
 * @example
 * stepCounts({ width: 512, height: 512, steps: 30, strength: null, n: 1, hires: { scale: 1.5, strength: 0.7, steps: 30 } })
 * // passes: 30 steps at 512×512, then 21 at 768×768
 */
export function stepCounts(request: StepCountFields): StepCounts {
  const passes: [DenoisingPass, ...DenoisingPass[]] = [
    {
      scheduleSteps: request.steps,
      steps: stepsRun(request.steps, request.strength),
      width: request.width,
      height: request.height,
    },
  ];
  if (request.hires !== undefined) {
    const { width, height } = outputSize(request);
    passes.push({
      scheduleSteps: request.hires.steps,
      steps: stepsRun(request.hires.steps, request.hires.strength),
      width,
      height,
    });
  }
  let stepsPerImage = 0;
  let pixelSteps = 0;
  for (const pass of passes) {
    stepsPerImage += pass.steps;
    pixelSteps += pass.steps * pass.width * pass.height;
  }
  return { passes, stepsPerImage, pixelSteps: pixelSteps * request.n };
}

/**
 * Of the first pass's steps that run, how many the request's refiner runs (0 without one): the
 * engine's switch rule (`refinerSwitchStep`) over the run's timesteps (img2img: the last `stepsRun`),
 * taken from SDXL 1.0's schedule ({@link sdxlScheduleTimesteps}), so edge and engine split alike
 * for its schedulers and within a step for the others. Pricing counts these at the refiner's rate.
 *
 * @example
 * refinerStepsRun({ steps: 30, strength: null, refiner: { model: "r", switch_at: 0.8, switch_by: "timestep" } }) // 7
 */
export function refinerStepsRun(
  request: Pick<ResolvedGenerationRequest, "steps" | "strength" | "refiner">,
): number {
  if (request.refiner === undefined) return 0;
  const run = stepsRun(request.steps, request.strength);
  const timesteps = sdxlScheduleTimesteps(request.steps).slice(request.steps - run);
  return run - refinerSwitchStep(timesteps, request.refiner.switch_at, request.refiner.switch_by);
}
