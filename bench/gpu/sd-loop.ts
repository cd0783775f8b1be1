/**
 * One SD 1.5 text-to-image generation driven straight through onnxruntime sessions, as the engine's
 * pipeline drives them (backend/src/engine/pipelines): text encoder once for prompt and negative prompt,
 * one batched UNet call per step for classifier-free guidance (2·B latents), Euler updates on the host,
 * VAE decoder. Every UNet call is timed, so the per-step distribution shows where a run's time went.
 */
import { type InferenceSession, Tensor } from "onnxruntime-node";
import {
  createSession,
  findInput,
  floatTensor,
  type LoadedSession,
  outputData,
} from "../../backend/src/engine/models/onnx-session.ts";
import type { EngineLogger } from "../../backend/src/engine/types.ts";

export interface Sd15Sessions {
  textEncoder: LoadedSession;
  unet: LoadedSession;
  vaeDecoder: LoadedSession;
  release(): Promise<void>;
}

const quietLogger: EngineLogger = { info() {}, warn() {} };

/** Open the three sessions a text-to-image run needs on `provider` (a spec such as `cuda:device_id=0`). */
export async function openSd15(modelDir: string, provider: string): Promise<Sd15Sessions> {
  const open = (file: string) => createSession(modelDir, file, [provider], quietLogger);
  const textEncoder = await open("text_encoder/model.onnx");
  const unet = await open("unet/model.onnx");
  const vaeDecoder = await open("vae_decoder/model.onnx");
  return {
    textEncoder,
    unet,
    vaeDecoder,
    async release() {
      for (const s of [textEncoder, unet, vaeDecoder]) await s.session.release();
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
export async function generate(
  sessions: Sd15Sessions,
  request: GenerationRequest,
): Promise<GenerationTiming> {
  const { batch, sizePx, steps } = request;
  const latentPx = sizePx / 8;
  const latentSize = 4 * latentPx * latentPx;
  const guidance = request.guidanceScale ?? 7.5;
  const started = performance.now();

  const ids = new Int32Array(2 * batch * 77).fill(49407);
  for (let row = 0; row < 2 * batch; row++)
    ids.set(row < batch ? [49406, 320, 1929, 530] : [49406], row * 77);
  const idsMeta = findInput(sessions.textEncoder, ["input_ids"]);
  const idsTensor =
    idsMeta.type === "int64"
      ? new Tensor("int64", BigInt64Array.from(ids, BigInt), [2 * batch, 77])
      : new Tensor("int32", ids, [2 * batch, 77]);
  const encoded = await sessions.textEncoder.session.run({ input_ids: idsTensor });
  const context = outputData(sessions.textEncoder, encoded, "last_hidden_state");
  const textEncodeMs = performance.now() - started;

  const sampleMeta = findInput(sessions.unet, ["sample"]);
  const timestepMeta = findInput(sessions.unet, ["timestep"]);
  const contextMeta = findInput(sessions.unet, ["encoder_hidden_states"]);
  const contextTensor = floatTensor(contextMeta, context.data, context.dims);
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
      timestep: floatTensor(timestepMeta, new Float32Array(2 * batch).fill(t), [2 * batch]),
      encoder_hidden_states: contextTensor,
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
      latents.map((v) => v / 0.18215),
      [batch, 4, latentPx, latentPx],
    ),
  });
  const decodeMs = performance.now() - decodeStarted;
  return { totalMs: performance.now() - started, textEncodeMs, stepMs, decodeMs };
}
