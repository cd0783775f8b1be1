import type { ResolvedGenerationRequest } from "./generation-request.ts";
import { stepCounts } from "./step-counts.ts";

/**
 * One ControlNet call against one UNet step of the same batch and size. Measured with
 * `node bench/controlnet/cost.ts` (SD 1.5's UNet and ControlNet built with random weights at a
 * fraction of SD 1.5's widths, CPU, one thread, CFG batch 2, fastest of interleaved runs), at
 * 256 × 256: 0.45 at 1/8 of the widths, 0.51 at 1/4, 0.42 at 1/2 (0.27 at 1/8 and 128 px, where the
 * control image's embedding weighs least). A ControlNet is the UNet's encoder and mid block plus that
 * embedding, without the decoder, which does most of a UNet's work; the tiny model (SD 1.5's block layout at
 * widths 16/32, 64 px) gives 0.52. 0.5 is their middle.
 */
export const CONTROLNET_STEP_COST = 0.5;

/**
 * Whether a ControlNet unit acts at step `step` (0-based) of a pass of `steps`: sd-webui-controlnet's
 * `guidance_schedule_handler` (scripts/hook.py) stops a unit while `step / steps` is below
 * `guidance_start` or above `guidance_end`, so both ends are inclusive. The engine runs units by it
 * and pricing counts by it.
 *
 * @example
 * controlUnitActive(2, 4, 0.5, 1) // true: 2/4 is inside [0.5, 1]
 */
export function controlUnitActive(
  step: number,
  steps: number,
  guidanceStart: number,
  guidanceEnd: number,
): boolean {
  const percent = step / steps;
  return !(percent < guidanceStart || percent > guidanceEnd);
}

type ControlCostFields = Pick<
  ResolvedGenerationRequest,
  "width" | "height" | "steps" | "strength" | "n" | "hires" | "controlnet"
>;

/**
 * The UNet-step equivalents a request's ControlNet units add, per denoising pass (as `stepCounts`
 * gives them): each unit's active steps in the pass × {@link CONTROLNET_STEP_COST}. A unit at weight 0
 * adds nothing (the engine skips it). Hires fix's second pass runs the units too, as A1111 does.
 *
 * @example
 * controlNetStepsPerPass(request) // [12] for two units active on 10 of 20 steps each
 */
export function controlNetStepsPerPass(request: ControlCostFields): number[] {
  const units = (request.controlnet ?? []).filter((unit) => unit.weight > 0);
  return stepCounts(request).passes.map((pass) => {
    let active = 0;
    for (const unit of units)
      for (let step = 0; step < pass.steps; step++)
        if (controlUnitActive(step, pass.steps, unit.guidance_start, unit.guidance_end)) active++;
    return active * CONTROLNET_STEP_COST;
  });
}

/** The ControlNet units' work in pixel-steps (each pass's equivalents × its size, × `n`), for credits. */
export function controlNetPixelSteps(request: ControlCostFields): number {
  const { passes } = stepCounts(request);
  const extra = controlNetStepsPerPass(request);
  return (
    passes.reduce((sum, pass, i) => sum + (extra[i] as number) * pass.width * pass.height, 0) * request.n
  );
}
