/**
 * One SD 1.5 or SDXL text-to-image generation driven straight through onnxruntime sessions, as the
 * engine's pipeline drives them (backend/src/engine/pipelines): text encoder(s) once for prompt and
 * negative prompt (SDXL: both encoders' penultimate states side by side, the pooled `text_embeds` and
 * the six `time_ids`), one batched UNet call per step for classifier-free guidance (2·B latents),
 * Euler updates on the host, VAE decoder. Every UNet call is timed, so the per-step distribution shows
 * where a run's time went.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { type InferenceSession, Tensor } from "onnxruntime-node";
import {
  createSession,
  findInput,
  floatTensor,
  type LoadedSession,
  outputData,
} from "../../backend/src/engine/models/onnx-session.ts";
import type { EngineLogger } from "../../backend/src/engine/types.ts";
import { SDXL_SCALING_FACTOR } from "../../backend/src/model-builder/sdxl-weights.ts";

export interface SdSessions {
  textEncoder: LoadedSession;
  /** SDXL's second encoder (`text_embeds` and `hidden_states.*`); its presence makes the run SDXL's. */
  textEncoder2: LoadedSession | undefined;
  unet: LoadedSession;
  vaeDecoder: LoadedSession;
  release(): Promise<void>;
}

const quietLogger: EngineLogger = { info() {}, warn() {} };

/**
 * Open the sessions a text-to-image run needs on `provider` (a spec such as `cuda:device_id=0`):
 * SDXL's second text encoder where the folder has one.
 */
export async function openSdSessions(modelDir: string, provider: string): Promise<SdSessions> {
  const open = (file: string) => createSession(modelDir, file, [provider], quietLogger);
  const textEncoder = await open("text_encoder/model.onnx");
  const textEncoder2 = existsSync(join(modelDir, "text_encoder_2/model.onnx"))
    ? await open("text_encoder_2/model.onnx")
    : undefined;
  const unet = await open("unet/model.onnx");
  const vaeDecoder = await open("vae_decoder/model.onnx");
  return {
    textEncoder,
    textEncoder2,
    unet,
    vaeDecoder,
    async release() {
      for (const s of [textEncoder, textEncoder2, unet, vaeDecoder]) await s?.session.release();
    },
  };
}

export interface GenerationTiming {
  totalMs: number;
  textEncodeMs: number;
  /** Each UNet call, in order. */
  stepMs: number[];
  decodeMs: number;
}

export interface GenerationRequest {
  batch: number;
  sizePx: number;
  steps: number;
  /** Decode at most this many steps' worth (CPU runs stop early and are extrapolated). */
  stepLimit?: number;
  guidanceScale?: number;
}

/** Run one generation of `batch` images and return its timings. */
export async function generate(sessions: SdSessions, request: GenerationRequest): Promise<GenerationTiming> {
  const { batch, sizePx, steps } = request;
  const latentPx = sizePx / 8;
  const latentSize = 4 * latentPx * latentPx;
  const guidance = request.guidanceScale ?? 7.5;
  const started = performance.now();

  const ids = new Int32Array(2 * batch * 77).fill(49407);
  for (let row = 0; row < 2 * batch; row++)
    ids.set(row < batch ? [49406, 320, 1929, 530] : [49406], row * 77);
  const conditioning = await encodePrompts(sessions, ids, 2 * batch, sizePx);
  const textEncodeMs = performance.now() - started;

  const sampleMeta = findInput(sessions.unet, ["sample"]);
  const timestepMeta = findInput(sessions.unet, ["timestep"]);
  const latents = new Float32Array(batch * latentSize);
  for (let i = 0; i < latents.length; i++) latents[i] = Math.sin(i * 12.9898) * 14.6;
  const stepMs: number[] = [];
  const runSteps = Math.min(steps, request.stepLimit ?? steps);
  for (let step = 0; step < runSteps; step++) {
    const t = 999 - Math.floor((step * 1000) / steps);
    const sigma = 14.6 * (1 - step / steps) + 0.03;
    const scale = 1 / Math.sqrt(sigma * sigma + 1);
    const sample = new Float32Array(2 * batch * latentSize);
    for (let i = 0; i < latents.length; i++) {
      const v = (latents[i] as number) * scale;
      sample[i] = v;
      sample[i + latents.length] = v;
    }
    const stepStarted = performance.now();
    const out = await sessions.unet.session.run({
      sample: floatTensor(sampleMeta, sample, [2 * batch, 4, latentPx, latentPx]),
      // optimum's exports (SDXL's) take one int64 timestep for the batch
      timestep:
        timestepMeta.type === "int64"
          ? new Tensor("int64", BigInt64Array.of(BigInt(t)), [1])
          : floatTensor(timestepMeta, new Float32Array(2 * batch).fill(t), [2 * batch]),
      ...conditioning,
    } as InferenceSession.FeedsType);
    const noise = outputData(sessions.unet, out, "out_sample").data;
    stepMs.push(performance.now() - stepStarted);
    const next = 14.6 * (1 - (step + 1) / steps) + 0.03;
    for (let i = 0; i < latents.length; i++) {
      const guided =
        (noise[i + latents.length] as number) +
        guidance * ((noise[i] as number) - (noise[i + latents.length] as number));
      latents[i] = (latents[i] as number) + (next - sigma) * guided;
    }
  }
  const decodeStarted = performance.now();
  const latentMeta = findInput(sessions.vaeDecoder, ["latent_sample"]);
  await sessions.vaeDecoder.session.run({
    latent_sample: floatTensor(
      latentMeta,
      latents.map((v) => v / (sessions.textEncoder2 === undefined ? 0.18215 : SDXL_SCALING_FACTOR)),
      [batch, 4, latentPx, latentPx],
    ),
  });
  const decodeMs = performance.now() - decodeStarted;
  return { totalMs: performance.now() - started, textEncodeMs, stepMs, decodeMs };
}

/**
 * The UNet's conditioning inputs for `rows` prompts: SD 1.5's `last_hidden_state`; SDXL's two
 * penultimate hidden states concatenated (768 + 1280 wide), the second encoder's pooled `text_embeds`
 * and `time_ids` (original size, crop 0, target size: a `sizePx`² image).
 */
async function encodePrompts(
  sessions: SdSessions,
  ids: Int32Array,
  rows: number,
  sizePx: number,
): Promise<Record<string, Tensor>> {
  const encode = async (encoder: LoadedSession) => {
    const idsMeta = findInput(encoder, ["input_ids"]);
    const idsTensor =
      idsMeta.type === "int64"
        ? new Tensor("int64", BigInt64Array.from(ids, BigInt), [rows, 77])
        : new Tensor("int32", ids, [rows, 77]);
    return { encoder, results: await encoder.session.run({ input_ids: idsTensor }) };
  };
  const contextMeta = findInput(sessions.unet, ["encoder_hidden_states"]);
  const first = await encode(sessions.textEncoder);
  if (sessions.textEncoder2 === undefined) {
    const context = outputData(first.encoder, first.results, "last_hidden_state");
    return { encoder_hidden_states: floatTensor(contextMeta, context.data, context.dims) };
  }
  const second = await encode(sessions.textEncoder2);
  const penultimate = ({ encoder, results }: typeof first) => {
    const states = encoder.session.outputNames.filter((n) => n.startsWith("hidden_states.")).length;
    return outputData(encoder, results, `hidden_states.${states - 2}`);
  };
  const [a, b] = [penultimate(first), penultimate(second)];
  const [widthA, widthB] = [a.dims[2] as number, b.dims[2] as number];
  const context = new Float32Array(rows * 77 * (widthA + widthB));
  for (let token = 0; token < rows * 77; token++) {
    context.set(a.data.subarray(token * widthA, (token + 1) * widthA), token * (widthA + widthB));
    context.set(b.data.subarray(token * widthB, (token + 1) * widthB), token * (widthA + widthB) + widthA);
  }
  const pooled = outputData(second.encoder, second.results, "text_embeds");
  const timeIds = new Float32Array(rows * 6);
  for (let row = 0; row < rows; row++) timeIds.set([sizePx, sizePx, 0, 0, sizePx, sizePx], row * 6);
  return {
    encoder_hidden_states: floatTensor(contextMeta, context, [rows, 77, widthA + widthB]),
    text_embeds: floatTensor(findInput(sessions.unet, ["text_embeds"]), pooled.data, pooled.dims),
    time_ids: floatTensor(findInput(sessions.unet, ["time_ids"]), timeIds, [rows, 6]),
  };
}
