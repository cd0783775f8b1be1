import { findOnnxruntimeLibrary } from "../../native-ort/library-path.ts";
import { loadOrtApi } from "../../native-ort/ort-api.ts";
import { OrtRuntime } from "../../native-ort/runtime.ts";
import type { Generator } from "../pipelines/noise-source.ts";
import { type Conditioning, concat } from "../pipelines/text-conditioning.ts";
import type { Scheduler } from "../schedulers/index.ts";
import type { EngineLogger } from "../types.ts";
import { type DeviceDenoiseRequest, DeviceDenoiser } from "./device-denoiser.ts";
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
  /** After each step, with the items that took it (a half-batch's, with `overlap`) and their estimates when asked. */
  afterStep: (
    done: number,
    denoised: readonly Float32Array[] | undefined,
    items: readonly DeviceLoopItem[],
  ) => void;
  previewAt?: (done: number) => boolean;
  /** Items whose latents are final, as soon as they are (a half-batch at a time, with `overlap`). */
  onHalfDone?: (items: readonly DeviceLoopItem[], latents: readonly Float32Array[]) => void;
}

interface PreparedRun {
  items: readonly DeviceLoopItem[];
  request: DeviceDenoiseRequest;
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
  readonly #overlapHalves: boolean;

  constructor(denoiser: DeviceDenoiser, logger: EngineLogger, overlapHalves = false) {
    this.denoiser = denoiser;
    this.#logger = logger;
    this.#overlapHalves = overlapHalves;
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
      overlapHalves: settings.overlapHalves,
    });
    return new DeviceLoop(denoiser, logger, settings.overlapHalves);
  }

  /**
   * Each item's final latents, or undefined when this run is one for the host loop. With
   * `halves` (the `overlap=1` setting), a run of two or more images goes as two half-batches: the
   * second half's host work (its noise table, its layout) is done while the first half is on the
   * device, and `onHalfDone` hands the first half's latents over (to decode them, a second stream
   * of work) while the second half runs.
   */
  async run(run: DeviceLoopRun): Promise<Float32Array[] | undefined> {
    if (run.items.length === 0) return [];
    const whole = this.#prepare(run, run.items);
    if (whole === undefined) return undefined;
    if (!this.overlapHalves || run.items.length < 2) {
      const latents = await this.#execute(run, whole);
      run.onHalfDone?.(run.items, latents);
      return latents;
    }
    const middle = Math.ceil(run.items.length / 2);
    const [front, back] = [run.items.slice(0, middle), run.items.slice(middle)];
    const frontRun = this.#execute(run, this.#prepare(run, front) as PreparedRun);
    // nothing to wait for here: the host prepares the back half while the front one is on the device
    const backPrepared = this.#prepare(run, back) as PreparedRun;
    const frontLatents = await frontRun;
    const backRun = this.#execute(run, backPrepared);
    run.onHalfDone?.(front, frontLatents);
    const backLatents = await backRun;
    run.onHalfDone?.(back, backLatents);
    return [...frontLatents, ...backLatents];
  }

  /** Whether runs of two or more images go as two overlapped half-batches. */
  get overlapHalves(): boolean {
    return this.#overlapHalves;
  }

  /** The device request for `items`: one step table, the noise table, the conditioning group-major. */
  #prepare(run: DeviceLoopRun, items: readonly DeviceLoopItem[]): PreparedRun | undefined {
    const [first] = items;
    if (first === undefined) return undefined;
    const rowsPerItem = first.conditioning.batch;
    const weights = first.conditioning.condWeights ?? [1];
    const sameRows = items.every(
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
    const batch = items.length;
    const noise = drawsStepNoise(first.scheduler)
      ? stepNoise(items, run.latentDims, table.steps, imageSize)
      : undefined;
    const request: DeviceDenoiseRequest = {
      latents: concat(items.map((item) => item.latents)),
      latentDims: [batch, run.latentDims[1], run.latentDims[2], run.latentDims[3]],
      context: groupMajor(items, (c) => c.context, rowsPerItem),
      contextDims: [
        batch * rowsPerItem,
        first.conditioning.contextDims[1],
        first.conditioning.contextDims[2],
      ],
      constants: constants(items, rowsPerItem),
      condWeights: rowsPerItem === 1 ? [] : weights,
      table,
      ...(noise === undefined ? {} : { noise }),
    };
    return { items, request };
  }

  async #execute(run: DeviceLoopRun, prepared: PreparedRun): Promise<Float32Array[]> {
    const batch = prepared.items.length;
    const result = await this.denoiser.denoise({
      ...prepared.request,
      afterStep: (done, denoised) => run.afterStep(done, denoised && split(denoised, batch), prepared.items),
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
function stepNoise(
  items: readonly DeviceLoopItem[],
  latentDims: readonly number[],
  steps: number,
  imageSize: number,
): Float32Array {
  const batch = items.length;
  const out = new Float32Array(steps * batch * imageSize);
  items.forEach((item, i) => {
    const own = drawStepNoise(item.scheduler, item.generator, latentDims);
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
