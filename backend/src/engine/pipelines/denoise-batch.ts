import type { UNetSession } from "../models/unet.ts";
import type { Scheduler } from "../schedulers/index.ts";
import type { Generator } from "./noise-source.ts";
import { applyGuidance } from "./tensor-math.ts";
import { type Conditioning, concat } from "./text-conditioning.ts";

/** One image of a batch: its own scheduler, generator, latents and its request's conditioning. */
export interface BatchItem {
  scheduler: Scheduler;
  generator: Generator;
  latents: Float32Array;
  conditioning: Conditioning;
  guidanceScale: number;
}

export interface BatchDenoiseRequest {
  unet: UNetSession;
  timesteps: Float32Array;
  /** One image's latent shape, `[1, c, h / 8, w / 8]`. */
  latentDims: readonly [number, number, number, number];
  items: BatchItem[];
  /** Whether an item is still wanted; checked before every step, so a cancelled one leaves within a step. */
  isActive: (item: BatchItem) => boolean;
  /** After each step, with the items that took it and each one's `pred_original_sample`. */
  afterStep: (done: number, items: readonly BatchItem[], denoised: readonly Float32Array[]) => void;
}

/**
 * {@link denoise}'s loop for several txt2img images at once: one UNet call per step on every item's
 * rows, each item as `[uncond, cond]` next to the others (so a guided batch of B is 2·B rows and each
 * item's conditioning is simply concatenated), then per item its own guidance and scheduler step with
 * its own generator, which keeps each image equal to its unbatched run.
 */
export async function denoiseBatch(request: BatchDenoiseRequest): Promise<void> {
  const { unet, timesteps, latentDims } = request;
  const [, channels, h, w] = latentDims;
  let active: BatchItem[] = [];
  let stacked: StackedConditioning | undefined;
  for (let i = 0; i < timesteps.length; i++) {
    const next = request.items.filter(request.isActive);
    if (next.length === 0) return;
    if (stacked === undefined || next.length !== active.length) stacked = stackConditioning(next);
    active = next;
    const t = timesteps[i] as number;
    const rowsPerItem = stacked.rowsPerItem;
    const sample = concat(
      active.flatMap((item) => {
        const scaled = item.scheduler.scaleModelInput(item.latents, t);
        return rowsPerItem === 2 ? [scaled, scaled] : [scaled];
      }),
    );
    const prediction = await unet.predict({
      sample,
      sampleDims: [active.length * rowsPerItem, channels, h, w],
      timestep: t,
      context: stacked.context,
      contextDims: stacked.contextDims,
      ...stacked.extra,
    });
    const itemSize = prediction.length / active.length;
    const denoised = active.map((item, j) => {
      const rows = prediction.subarray(j * itemSize, (j + 1) * itemSize);
      const noise = rowsPerItem === 2 ? applyGuidance(rows, item.guidanceScale) : rows;
      const result = item.scheduler.step(noise, t, item.latents, item.generator, latentDims);
      item.latents = result.prevSample;
      return result.predOriginalSample;
    });
    request.afterStep(i + 1, active, denoised);
  }
}

interface StackedConditioning {
  rowsPerItem: 1 | 2;
  context: Float32Array;
  contextDims: readonly [number, number, number];
  extra: { textEmbeds?: Float32Array; timeIds?: Float32Array; timestepCond?: Float32Array };
}

/** Built once per set of items, so the UNet converts the constant inputs once, not every step. */
function stackConditioning(items: readonly BatchItem[]): StackedConditioning {
  const first = items[0]?.conditioning as Conditioning;
  // composable prompts (more rows) run alone, not here (generate-batch.ts)
  if (first.batch > 2 || items.some((item) => item.conditioning.batch !== first.batch))
    throw new Error("items of one UNet batch must each have one or two rows (composable prompts run alone)");
  const rowsPerItem = first.batch as 1 | 2;
  const [, tokens, width] = first.contextDims;
  if (items.some((item) => item.conditioning.contextDims[1] !== tokens)) {
    throw new Error("items of one UNet batch must have prompts of the same token count");
  }
  const extra: StackedConditioning["extra"] = {};
  for (const key of ["textEmbeds", "timeIds", "timestepCond"] as const) {
    if (first[key] !== undefined) {
      extra[key] = concat(items.map((item) => item.conditioning[key] ?? new Float32Array(0)));
    }
  }
  return {
    rowsPerItem,
    context: concat(items.map((item) => item.conditioning.context)),
    contextDims: [items.length * rowsPerItem, tokens, width],
    extra,
  };
}
