/**
 * The levers issue 19 measures, each one SD 1.5 text-to-image denoise + decode at a given batch on
 * the same model and GPU, built up one at a time from the current path:
 *   host-loop (onnxruntime-node)  what the engine runs today: Node binding, device_id only
 *   host-loop (C API)             the same host loop through onnxruntime's C API with the provider
 *                                 options the binding drops (prefer_nhwc, cuDNN search, workspace...)
 *   device-loop                   + latents kept on the GPU: IO binding, CFG and the scheduler step as
 *                                 the builder's step graph
 *   device-loop + CUDA graphs     + each bucket's UNet and step runs captured once and replayed
 *   device-loop + run-ahead       + the host queues the next run without waiting for the last
 * The host loops use the engine's own scheduler and guidance code, so each row is the same work.
 */
import { DeviceDenoiser } from "../../backend/src/engine/device-loop/device-denoiser.ts";
import { buildStepTable } from "../../backend/src/engine/device-loop/step-coefficients.ts";
import { drawStepNoise, drawsStepNoise } from "../../backend/src/engine/device-loop/step-noise.ts";
import { fromFloat16, toFloat16Bits } from "../../backend/src/engine/models/fp16.ts";
import type { UNetSession } from "../../backend/src/engine/models/unet.ts";
import type { VaeDecoderSession } from "../../backend/src/engine/models/vae-decoder.ts";
import { applyGuidance } from "../../backend/src/engine/pipelines/tensor-math.ts";
import { createGenerator } from "../../backend/src/engine/rng/torch-generator.ts";
import { createScheduler } from "../../backend/src/engine/schedulers/index.ts";
import type { OrtRuntime } from "../../backend/src/native-ort/runtime.ts";
import type { NativeSession } from "../../backend/src/native-ort/session.ts";
import type { NativeSessionOptions } from "../../backend/src/native-ort/session-options.ts";
import type { NativeTensor } from "../../backend/src/native-ort/tensor.ts";

/** SD 1.5's scheduler config (diffusers' v1-5 scheduler_config.json, as Euler reads it). */
export const SD15_SCHEDULER_CONFIG = {
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: "scaled_linear",
  num_train_timesteps: 1000,
  steps_offset: 1,
  timestep_spacing: "leading",
  prediction_type: "epsilon",
  clip_sample: false,
};

export interface LoopInputs {
  batch: number;
  /** The UNet's `cross_attention_dim` (768 for SD 1.5; less for the ÷8 dry-run graph). */
  contextWidth: number;
  sizePx: number;
  steps: number;
  scheduler: string;
  seed: number;
  guidanceScale: number;
}

/** A generation's starting point: the scheduler set to its steps, latents, conditioning, generator. */
export function startOf(inputs: LoopInputs) {
  const scheduler = createScheduler(inputs.scheduler, SD15_SCHEDULER_CONFIG);
  scheduler.setTimesteps(inputs.steps);
  const latentPx = inputs.sizePx / 8;
  const latentDims = [inputs.batch, 4, latentPx, latentPx] as const;
  const sigma = scheduler.initNoiseSigma;
  const latents = createGenerator(inputs.seed)
    .randn([...latentDims])
    .map((value) => value * sigma);
  // [uncond × B, cond × B]: a fixed pattern stands in for CLIP's output (the compute does not depend on it)
  const rows = 2 * inputs.batch;
  const size = rows * 77 * inputs.contextWidth;
  const context = new Float32Array(size).map((_, i) => Math.sin(i * 0.013) * (i < size / 2 ? 0.4 : 1));
  return { scheduler, latentDims, latents, context, generator: createGenerator(inputs.seed + 1) };
}

export interface LoopTiming {
  /** Denoise and decode, host to host. */
  totalMs: number;
  latents: Float32Array;
}

/** What a host loop needs of its sessions: the guided UNet call and the decode. */
interface HostModels {
  /** The UNet on `[x, x]` rows (B images twice) at timestep `t`: its output as float32. */
  predict(
    sample: Float32Array,
    t: number,
    dims: readonly [number, number, number, number],
  ): Promise<Float32Array>;
  decode(latents: Float32Array, dims: readonly [number, number, number, number]): Promise<void>;
}

/**
 * The engine's host loop (pipelines/denoise.ts) for B images at once: per step the scaled latents go
 * up twice (classifier-free guidance), the prediction comes down, guidance and the scheduler step run
 * on the host; then the VAE.
 */
async function runHostLoop(models: HostModels, inputs: LoopInputs): Promise<LoopTiming> {
  const { scheduler, latentDims, generator, latents: start } = startOf(inputs);
  let latents: Float32Array = start;
  const started = performance.now();
  const [batch, channels, h, w] = latentDims;
  for (const t of scheduler.timesteps) {
    const scaled = scheduler.scaleModelInput(latents, t);
    const doubled = new Float32Array(scaled.length * 2);
    doubled.set(scaled);
    doubled.set(scaled, scaled.length);
    const prediction = await models.predict(doubled, t, [2 * batch, channels, h, w]);
    const guided = applyGuidance(prediction, inputs.guidanceScale);
    latents = scheduler.step(guided, t, latents, generator, latentDims).prevSample;
  }
  await models.decode(
    latents.map((v) => v / 0.18215),
    latentDims,
  );
  return { totalMs: performance.now() - started, latents };
}

/** The host loop through onnxruntime's C API: each step's sample is a host tensor, its output read back. */
export async function hostLoop(
  runtime: OrtRuntime,
  unet: NativeSession,
  vae: NativeSession,
  inputs: LoopInputs,
): Promise<LoopTiming> {
  const { context } = startOf(inputs);
  const contextDims = [2 * inputs.batch, 77, inputs.contextWidth];
  using contextTensor = hostTensorOf(runtime, unet.input("encoder_hidden_states").type, context, contextDims);
  // awaited here: `using` releases the context tensor when this function returns
  return await runHostLoop(
    {
      predict: async (values, t, dims) => {
        using sample = hostTensorOf(runtime, unet.input("sample").type, values, dims);
        using timestep = timestepTensor(runtime, unet, t, dims[0]);
        const feeds = { sample, timestep, encoder_hidden_states: contextTensor };
        const { out_sample: out } = await unet.runAsync(feeds, ["out_sample"]);
        using output = out as NativeTensor;
        return floatsOf(output);
      },
      decode: async (latents, dims) => {
        using latentSample = hostTensorOf(runtime, vae.input("latent_sample").type, latents, dims);
        const { sample } = await vae.runAsync({ latent_sample: latentSample });
        using image = sample as NativeTensor;
        floatsOf(image);
      },
    },
    inputs,
  );
}

/** The engine's host loop as it runs today: onnxruntime-node sessions (`UNetSession`, `VaeDecoderSession`). */
export function nodeHostLoop(
  unet: UNetSession,
  vae: VaeDecoderSession,
  inputs: LoopInputs,
): Promise<LoopTiming> {
  const { context } = startOf(inputs);
  const contextDims = [2 * inputs.batch, 77, inputs.contextWidth] as const;
  return runHostLoop(
    {
      predict: (sample, timestep, sampleDims) =>
        unet.predict({ sample, sampleDims, timestep, context, contextDims }),
      decode: async (latents, dims) => {
        await vae.decode(latents, dims);
      },
    },
    inputs,
  );
}

/** The device loop: everything between the upload and the image stays on the device. */
export async function deviceLoop(denoiser: DeviceDenoiser, inputs: LoopInputs): Promise<LoopTiming> {
  const { scheduler, latentDims, latents, context, generator } = startOf(inputs);
  const started = performance.now();
  const table = buildStepTable(scheduler, { guidanceScale: inputs.guidanceScale });
  // one generator for the batch, as the host loop's scheduler draws it
  const noise = drawsStepNoise(scheduler) ? drawStepNoise(scheduler, generator, latentDims) : undefined;
  const result = await denoiser.denoise({
    latents,
    latentDims,
    context,
    contextDims: [2 * inputs.batch, 77, inputs.contextWidth],
    condWeights: [1],
    table,
    ...(noise === undefined ? {} : { noise }),
    decode: true,
  });
  return { totalMs: performance.now() - started, latents: result.latents };
}

export function openDeviceLoop(
  runtime: OrtRuntime,
  modelDir: string,
  session: NativeSessionOptions,
  runAhead: boolean,
): DeviceDenoiser {
  return new DeviceDenoiser({
    runtime,
    unetPath: `${modelDir}/unet/model.onnx`,
    vaePath: `${modelDir}/vae_decoder/model.onnx`,
    session,
    scalingFactor: 0.18215,
    runAhead,
  });
}

function hostTensorOf(
  runtime: OrtRuntime,
  type: NativeTensor["type"] | undefined,
  values: Float32Array,
  dims: readonly number[],
): NativeTensor {
  return type === "float16"
    ? runtime.hostTensor("float16", dims, toFloat16Bits(values))
    : runtime.hostTensor("float32", dims, values);
}

function timestepTensor(runtime: OrtRuntime, unet: NativeSession, t: number, rows: number): NativeTensor {
  const info = unet.input("timestep");
  const dims = info.dims.length === 0 ? [] : info.dims[0] === 1 ? [1] : [rows];
  const count = dims.reduce((a, b) => a * b, 1);
  if (info.type === "int64")
    return runtime.hostTensor("int64", dims, new BigInt64Array(count).fill(BigInt(Math.trunc(t))));
  return hostTensorOf(runtime, info.type, new Float32Array(count).fill(t), dims);
}

function floatsOf(tensor: NativeTensor): Float32Array {
  return tensor.type === "float16" ? fromFloat16(tensor.read("float16")) : tensor.read("float32");
}
