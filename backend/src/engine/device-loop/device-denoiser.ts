import { buildGuidedStepGraph } from "../../model-builder/guided-step-graph.ts";
import { createSharedCudaStream } from "../../native-ort/cuda-stream.ts";
import { NativeRunOptions } from "../../native-ort/run-options.ts";
import type { OrtRuntime } from "../../native-ort/runtime.ts";
import { NativeSession } from "../../native-ort/session.ts";
import { type NativeSessionOptions, withoutCudaGraph } from "../../native-ort/session-options.ts";
import type { NativeTensor } from "../../native-ort/tensor.ts";
import { InvalidArgumentError } from "../errors.ts";
import { DeviceTransfer } from "./device-transfer.ts";
import type { StepTable } from "./linear-step.ts";
import { type BucketShape, bucketKey, LoopBucket } from "./loop-bucket.ts";
import { readUNetSignature, stepGraphOptions, timestepDims, type UNetSignature } from "./unet-signature.ts";

export interface DeviceDenoiserOptions {
  runtime: OrtRuntime;
  /** The UNet's and VAE decoder's model files. */
  unetPath: string | Uint8Array;
  vaePath?: string | Uint8Array;
  /** Session options: with `cuda`, the loop runs on the GPU; `cuda.enableCudaGraph` captures each bucket's graphs. */
  session: NativeSessionOptions;
  /** The VAE's `scaling_factor` (SD 1.5 0.18215, SDXL 0.13025). */
  scalingFactor: number;
  /**
   * Let the host queue the next run before the device finishes this one (onnxruntime's
   * `disable_synchronize_execution_providers`): the loop waits for the device only at its end. On
   * CUDA every session of the loop then shares one stream (created through the CUDA runtime).
   */
  runAhead?: boolean;
  /** Buckets kept (each holds its buffers and captured graphs); the least recently used goes first. */
  maxBuckets?: number;
}

/**
 * With run-ahead on CUDA, every session of the loop on one stream: the provider gives each session its
 * own, and a run queued without waiting would not be ordered before the next session's (the step graph
 * could read the UNet's output before it is written). On one stream the queue order is the order.
 */
function withSharedStream(options: DeviceDenoiserOptions): DeviceDenoiserOptions {
  const cuda = options.session.cuda;
  if (!options.runAhead || cuda === undefined || cuda.userComputeStream !== undefined) return options;
  sharedStream ??= createSharedCudaStream();
  return { ...options, session: { ...options.session, cuda: { ...cuda, userComputeStream: sharedStream } } };
}

/** The process's one run-ahead stream (a stream is cheap, but sessions must never outlive theirs). */
let sharedStream: bigint | undefined;

/** One generation's inputs, every batched tensor group-major: `[uncond × B, cond_1 × B, …]`. */
export interface DeviceDenoiseRequest {
  /** The start latents `[B, C, h, w]`, already scaled by the scheduler's `initNoiseSigma`. */
  latents: Float32Array;
  latentDims: readonly [number, number, number, number];
  /** `[(1 + N)·B, tokens, width]`. */
  context: Float32Array;
  contextDims: readonly [number, number, number];
  /** SDXL's `text_embeds`/`time_ids`, LCM's `timestep_cond`, `[(1 + N)·B, width]` each, by input name. */
  constants?: Readonly<Record<string, Float32Array>>;
  /** The prompts' weights, N of them; empty for an unguided loop. */
  condWeights: readonly number[];
  table: StepTable;
  /** `[steps, B, C, h, w]`, from `drawStepNoise`, when the scheduler draws noise. */
  noise?: Float32Array;
  /**
   * Called after each step with the steps done, and the step's clean-sample estimate `[B, C, h, w]`
   * when `previewAt(done)` asked for it (a copy to the host: only then does the host wait for the
   * device); throws to stop (the loop then stops between two runs).
   */
  afterStep?: (done: number, denoised?: Float32Array) => void;
  previewAt?: (done: number) => boolean;
  /** Decode the final latents with the VAE (read on the device) into `image`. */
  decode?: boolean;
}

export interface DeviceDenoiseResult {
  /** The final latents `[B, C, h, w]`. */
  latents: Float32Array;
  /** With `decode`: the VAE's output `[B, 3, H, W]`, values in [-1, 1]. */
  image?: Float32Array;
  imageDims?: readonly number[];
}

/**
 * The denoising loop with the latents kept on the device (issue 19): per step one UNet run and one
 * guided-step run, each through IO bindings made once per bucket, so between steps nothing crosses to
 * the host; with CUDA graphs each bucket's runs are captured once and replayed. The host uploads a
 * generation's inputs once, and reads back only the result.
 */
export class DeviceDenoiser implements Disposable {
  readonly runtime: OrtRuntime;
  readonly unet: NativeSession;
  readonly vae: NativeSession | undefined;
  readonly signature: UNetSignature;
  readonly #options: DeviceDenoiserOptions;
  readonly #stepSessions = new Map<string, NativeSession>();
  readonly #buckets = new Map<string, LoopBucket>();
  readonly #runOptions = new Map<number, NativeRunOptions>();
  readonly #transfer: DeviceTransfer;
  #nextBucketId = 0;
  /** The generation before this one, settled or not: the next waits for it. */
  #previous: Promise<void> = Promise.resolve();

  constructor(options: DeviceDenoiserOptions) {
    this.#options = withSharedStream(options);
    this.runtime = options.runtime;
    this.unet = NativeSession.create(options.runtime, options.unetPath, this.#options.session);
    try {
      this.vae =
        options.vaePath === undefined
          ? undefined
          : NativeSession.create(options.runtime, options.vaePath, withoutCudaGraph(this.#options.session));
      this.signature = readUNetSignature(this.unet, this.vae);
      this.#transfer = new DeviceTransfer(this.unet, this.#options.session);
    } catch (error) {
      this.release();
      throw error;
    }
  }

  /**
   * One generation. Generations take turns: a bucket's tensors and the captured graphs are the
   * loop's state, so a second call waits for the first to finish (or fail) before it uploads.
   */
  async denoise(request: DeviceDenoiseRequest): Promise<DeviceDenoiseResult> {
    const shape = this.#shapeOf(request); // a bad request fails at once, without waiting its turn
    const turn = this.#previous.then(() => this.#denoise(request, shape));
    this.#previous = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn;
  }

  async #denoise(request: DeviceDenoiseRequest, shape: BucketShape): Promise<DeviceDenoiseResult> {
    const bucket = this.#bucket(shape);
    this.#upload(bucket, request);
    const unetOptions = this.#runOptionsFor(bucket.graphIds.unet);
    for (let k = 0; k < request.table.steps; k++) {
      const parity = k % 2;
      await bucket.unetBinding.runAsync(unetOptions);
      await (bucket.stepBindings[parity] as NonNullable<(typeof bucket.stepBindings)[0]>).runAsync(
        this.#runOptionsFor(bucket.graphIds.step[parity] as number),
      );
      const denoised = request.previewAt?.(k + 1)
        ? this.#transfer.downloadFloats(bucket.tensors.denoised as NativeTensor)
        : undefined;
      request.afterStep?.(k + 1, denoised);
    }
    const final = bucket.tensors[`sample${request.table.steps % 2}`] as NativeTensor;
    bucket.stepBindings[(request.table.steps + 1) % 2]?.synchronizeOutputs();
    const result: DeviceDenoiseResult = { latents: this.#transfer.downloadFloats(final) };
    if (request.decode) Object.assign(result, this.#decode(bucket));
    return result;
  }

  release(): void {
    for (const bucket of this.#buckets.values()) bucket.release();
    this.#buckets.clear();
    for (const options of this.#runOptions.values()) options.release();
    this.#runOptions.clear();
    this.#transfer?.release();
    for (const session of this.#stepSessions.values()) session.release();
    this.#stepSessions.clear();
    this.vae?.release();
    this.unet.release();
  }

  [Symbol.dispose](): void {
    this.release();
  }

  #shapeOf(request: DeviceDenoiseRequest): BucketShape {
    const conds = request.condWeights.length;
    const [batch] = request.latentDims;
    const rows = (1 + conds) * batch;
    const expect = (field: string, actual: number, wanted: number) => {
      if (actual !== wanted) throw new InvalidArgumentError(field, actual, `must have ${wanted} values`);
    };
    const latentSize = request.latentDims.reduce((a, b) => a * b, 1);
    expect("latents", request.latents.length, latentSize);
    if (request.contextDims[0] !== rows) {
      throw new InvalidArgumentError(
        "contextDims",
        request.contextDims[0],
        `must be ${rows} rows (1 + prompts) × images`,
      );
    }
    expect(
      "context",
      request.context.length,
      request.contextDims.reduce((a, b) => a * b, 1),
    );
    const noise = request.noise !== undefined;
    if (noise) expect("noise", request.noise?.length ?? 0, request.table.steps * latentSize);
    else if (request.table.stochastic)
      throw new InvalidArgumentError("noise", undefined, "is needed by this scheduler");
    const constantWidths: Record<string, number> = {};
    for (const info of this.signature.constants) {
      const values = request.constants?.[info.name];
      if (values === undefined)
        throw new InvalidArgumentError(info.name, undefined, "is an input of this UNet");
      constantWidths[info.name] = values.length / rows;
    }
    return {
      conds,
      latentDims: request.latentDims,
      steps: request.table.steps,
      noise,
      contextDims: [request.contextDims[1], request.contextDims[2]],
      constantWidths,
    };
  }

  #bucket(shape: BucketShape): LoopBucket {
    const key = bucketKey(shape);
    let bucket = this.#buckets.get(key);
    if (bucket !== undefined) {
      this.#buckets.delete(key); // re-inserted last: the map's order is the recency order
    } else {
      bucket = new LoopBucket(
        this.unet,
        this.#stepSession(shape),
        this.signature,
        shape,
        this.#nextBucketId++,
      );
      const oldest = this.#buckets.keys().next();
      if (this.#buckets.size >= (this.#options.maxBuckets ?? 8) && !oldest.done) {
        this.#buckets.get(oldest.value)?.release();
        this.#buckets.delete(oldest.value);
      }
    }
    this.#buckets.set(key, bucket);
    return bucket;
  }

  #stepSession(shape: BucketShape): NativeSession {
    const key = `${shape.conds}:${shape.noise}`;
    let session = this.#stepSessions.get(key);
    if (session === undefined) {
      const options = stepGraphOptions(this.signature, shape.conds, shape.noise, this.#options.scalingFactor);
      session = NativeSession.create(this.runtime, buildGuidedStepGraph(options), this.#options.session);
      this.#stepSessions.set(key, session);
    }
    return session;
  }

  #runOptionsFor(graphId: number): NativeRunOptions {
    let options = this.#runOptions.get(graphId);
    if (options === undefined) {
      const config: Record<string, string> = {};
      if (this.#options.session.cuda?.enableCudaGraph) config.gpu_graph_id = String(graphId);
      if (this.#options.runAhead) config.disable_synchronize_execution_providers = "1";
      options = new NativeRunOptions(this.runtime.api, { config });
      this.#runOptions.set(graphId, options);
    }
    return options;
  }

  /** A generation's inputs into the bucket's tensors: the only host-to-device copies of the loop. */
  #upload(bucket: LoopBucket, request: DeviceDenoiseRequest): void {
    const t = bucket.tensors as Record<string, NativeTensor>;
    const { table } = request;
    const rows = t.modelInput?.dims[0] ?? 0;
    const up = (name: string, values: Float32Array | BigInt64Array | Int32Array) =>
      this.#transfer.upload(t[name] as NativeTensor, values);
    up("sample0", request.latents);
    up("state0", new Float32Array(request.latents.length));
    up("step0", new BigInt64Array([0n]));
    up("coefficients", table.table);
    if (request.noise !== undefined) up("noise", request.noise);
    if (t.condWeights !== undefined) up("condWeights", Float32Array.from(request.condWeights));
    up("context", request.context);
    for (const info of this.signature.constants)
      up(info.name, request.constants?.[info.name] as Float32Array);
    const scaled = request.latents.map((value) => value * table.cIn0);
    const modelInput = new Float32Array(scaled.length * (rows / request.latentDims[0]));
    for (let offset = 0; offset < modelInput.length; offset += scaled.length) modelInput.set(scaled, offset);
    up("modelInput", modelInput);
    const timestepCount = timestepDims(this.signature, rows).reduce((a, b) => a * b, 1);
    const type = t.timestep?.type;
    const t0 = type === "int64" || type === "int32" ? Math.trunc(table.t0) : table.t0;
    up(
      "timestep",
      type === "int64"
        ? new BigInt64Array(timestepCount).fill(BigInt(t0))
        : type === "int32"
          ? new Int32Array(timestepCount).fill(t0)
          : new Float32Array(timestepCount).fill(t0),
    );
  }

  #decode(bucket: LoopBucket): Pick<DeviceDenoiseResult, "image" | "imageDims"> {
    const vae = this.vae;
    if (vae === undefined) throw new Error("decode asked of a device loop made without a VAE");
    const [batch, , height, width] = bucket.shape.latentDims;
    const output = vae.outputs[0];
    if (output === undefined) throw new Error("the VAE decoder has no output");
    const imageDims = [batch, 3, height * 8, width * 8];
    using image = vae.deviceTensor(output.type ?? "float32", imageDims);
    using binding = vae
      .bind()
      .bindInput("latent_sample", bucket.tensors.vaeInput as NativeTensor)
      .bindOutput(output.name, image);
    binding.run();
    binding.synchronizeOutputs();
    return { image: this.#transfer.downloadFloats(image), imageDims };
  }
}
