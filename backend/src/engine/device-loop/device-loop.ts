import { findOnnxruntimeLibrary } from "../../native-ort/library-path.ts";
import { loadOrtApi } from "../../native-ort/ort-api.ts";
import { OrtRuntime } from "../../native-ort/runtime.ts";
import type { Generator } from "../pipelines/noise-source.ts";
import { type Conditioning, concat } from "../pipelines/text-conditioning.ts";
import type { Scheduler } from "../schedulers/index.ts";
import type { EngineLogger } from "../types.ts";
import { DeviceDenoiser } from "./device-denoiser.ts";
import type { DeviceLoopSettings } from "./native-options.ts";
import { buildStepTable } from "./step-coefficients.ts";
import { drawStepNoise, drawsStepNoise } from "./step-noise.ts";
import { isDeviceLoopUnsupportedError } from "./unsupported-config.ts";

/** One txt2img image as the pipelines hand it over: its own scheduler (set to its steps), generator and start latents. */
export interface DeviceLoopItem {
  scheduler: Scheduler;
  generator: Generator;
  /** `[1, C, h, w]`, already scaled by `initNoiseSigma`. */
  latents: Float32Array;
  conditioning: Conditioning;
}

export interface DeviceLoopRun {
  items: readonly DeviceLoopItem[];
  guidanceScale: number;
  /** One image's latent shape, `[1, C, h, w]`. */
  latentDims: readonly [number, number, number, number];
  afterStep: (done: number, denoised?: readonly Float32Array[]) => void;
  previewAt?: (done: number) => boolean;
}

/**
 * The engine's side of the device loop: takes the images the pipelines would denoise on the host,
 * lays their conditioning out as the step graph reads it, builds the step table and noise table from
 * their schedulers and generators, and returns each image's final latents, the same trajectory as the
 * host loop (within float tolerance). What it cannot express it declines (`undefined`), and the
 * pipeline runs its host loop instead.
 */
export class DeviceLoop implements Disposable {
  readonly denoiser: DeviceDenoiser;
  readonly #logger: EngineLogger;
  readonly #declined = new Set<string>();

  constructor(denoiser: DeviceDenoiser, logger: EngineLogger) {
    this.denoiser = denoiser;
    this.#logger = logger;
  }

  /** The UNet and VAE decoder of `modelDir` on the device loop's sessions. */
  static load(
    modelDir: string,
    settings: DeviceLoopSettings,
    scalingFactor: number,
    logger: EngineLogger,
  ): DeviceLoop {
    const runtime = OrtRuntime.shared();
    const denoiser = new DeviceDenoiser({
      runtime,
      unetPath: `${modelDir}/unet/model.onnx`,
      vaePath: `${modelDir}/vae_decoder/model.onnx`,
      session: settings.session,
      scalingFactor,
      runAhead: settings.runAhead,
    });
    logger.info("device loop ready", {
      onnxruntime: loadOrtApi(findOnnxruntimeLibrary()).version,
      device: denoiser.unet.location.device,
      cudaGraphs: settings.session.cuda?.enableCudaGraph === true,
      runAhead: settings.runAhead,
    });
    return new DeviceLoop(denoiser, logger);
  }

  /** Each item's final latents, or undefined when this run is one for the host loop. */
  async run(run: DeviceLoopRun): Promise<Float32Array[] | undefined> {
    const [first] = run.items;
    if (first === undefined) return [];
    const rowsPerItem = first.conditioning.batch;
    const weights = first.conditioning.condWeights ?? [1];
    const sameRows = run.items.every(
      (item) =>
        item.conditioning.batch === rowsPerItem &&
        item.conditioning.contextDims[1] === first.conditioning.contextDims[1] &&
        String(item.conditioning.condWeights ?? [1]) === String(weights),
    );
    if (!sameRows) return this.#decline("the images' prompts differ in rows or weights");
    let table: ReturnType<typeof buildStepTable>;
    try {
      table = buildStepTable(first.scheduler, { guidanceScale: run.guidanceScale });
    } catch (error) {
      if (isDeviceLoopUnsupportedError(error)) return this.#decline(error.message);
      throw error;
    }
    const imageSize = run.latentDims.reduce((a, b) => a * b, 1);
    const batch = run.items.length;
    const noise = drawsStepNoise(first.scheduler) ? stepNoise(run, table.steps, imageSize) : undefined;
    const conds = rowsPerItem === 1 ? [] : weights;
    const result = await this.denoiser.denoise({
      latents: concat(run.items.map((item) => item.latents)),
      latentDims: [batch, run.latentDims[1], run.latentDims[2], run.latentDims[3]],
      context: groupMajor(run.items, (c) => c.context, rowsPerItem),
      contextDims: [
        batch * rowsPerItem,
        first.conditioning.contextDims[1],
        first.conditioning.contextDims[2],
      ],
      constants: constants(run.items, rowsPerItem),
      condWeights: conds,
      table,
      ...(noise === undefined ? {} : { noise }),
      afterStep: (done, denoised) => run.afterStep(done, denoised && split(denoised, batch)),
      ...(run.previewAt ? { previewAt: run.previewAt } : {}),
    });
    return split(result.latents, batch);
  }

  release(): void {
    this.denoiser.release();
  }

  [Symbol.dispose](): void {
    this.release();
  }

  #decline(reason: string): undefined {
    if (!this.#declined.has(reason)) {
      this.#declined.add(reason);
      this.#logger.warn("device loop declined a run; the host loop takes it", { reason });
    }
    return undefined;
  }
}

/** Each image's step noise, drawn as its host scheduler would, interleaved into `[steps, B, C, h, w]`. */
function stepNoise(run: DeviceLoopRun, steps: number, imageSize: number): Float32Array {
  const batch = run.items.length;
  const out = new Float32Array(steps * batch * imageSize);
  run.items.forEach((item, i) => {
    const own = drawStepNoise(item.scheduler, item.generator, run.latentDims);
    for (let k = 0; k < steps; k++) {
      out.set(own.subarray(k * imageSize, (k + 1) * imageSize), (k * batch + i) * imageSize);
    }
  });
  return out;
}

/** The items' rows reordered from item-major (`[u₁, c₁, u₂, c₂]`) to group-major (`[u₁, u₂, c₁, c₂]`). */
function groupMajor(
  items: readonly DeviceLoopItem[],
  field: (conditioning: Conditioning) => Float32Array,
  rowsPerItem: number,
): Float32Array {
  const parts = items.map((item) => field(item.conditioning));
  const rowSize = (parts[0]?.length ?? 0) / rowsPerItem;
  const out = new Float32Array(rowSize * rowsPerItem * items.length);
  parts.forEach((part, i) => {
    for (let r = 0; r < rowsPerItem; r++) {
      out.set(part.subarray(r * rowSize, (r + 1) * rowSize), (r * items.length + i) * rowSize);
    }
  });
  return out;
}

function constants(items: readonly DeviceLoopItem[], rowsPerItem: number): Record<string, Float32Array> {
  const first = items[0]?.conditioning;
  const out: Record<string, Float32Array> = {};
  const inputs = { text_embeds: "textEmbeds", time_ids: "timeIds", timestep_cond: "timestepCond" } as const;
  for (const [input, key] of Object.entries(inputs)) {
    if (first?.[key] !== undefined) {
      out[input] = groupMajor(items, (c) => c[key] ?? new Float32Array(0), rowsPerItem);
    }
  }
  return out;
}

function split(data: Float32Array, parts: number): Float32Array[] {
  const size = data.length / parts;
  return Array.from({ length: parts }, (_, i) => data.slice(i * size, (i + 1) * size));
}
