/**
 * Helpers for the builder's tests: float16 tensors for onnxruntime-node, and a few-step Euler loop that
 * drives any tiny variant end to end, the way a pipeline feeds each family's extra inputs.
 */
import { InferenceSession, Tensor } from "onnxruntime-node";
import { fromFloat16Bits, toFloat16Bits } from "./float16.ts";

export type FloatDtype = "float32" | "float16";

/**
 * A float tensor of `dtype`. float16 data is binary16 bits in a Uint16Array. On Node ≥ 23,
 * onnxruntime-common wraps such data in a Float16Array, whose byte length onnxruntime-node 1.29's
 * binding reads as 0 ("not enough space: expected N, got 0", microsoft/onnxruntime#26791, fix in
 * PR #32323); putting the Uint16Array back as the tensor's data works around it.
 */
export function floatTensor(values: ArrayLike<number>, dims: readonly number[], dtype: FloatDtype): Tensor {
  if (dtype === "float32") return new Tensor("float32", Float32Array.from(values), dims);
  const bits = Uint16Array.from(values, (v) => toFloat16Bits(v));
  const tensor = new Tensor("float16", bits, dims);
  (tensor as unknown as { cpuData: Uint16Array }).cpuData = bits;
  return tensor;
}

/** A float output as float32 numbers, whether it arrives as Float32Array, Float16Array or raw bits. */
export function floatValues(tensor: Tensor): Float32Array {
  const data = tensor.data;
  if (data instanceof Uint16Array) return Float32Array.from(data, fromFloat16Bits);
  return Float32Array.from(data as ArrayLike<number>);
}

export interface GenerationInputs {
  modelDir: string;
  dtype: FloatDtype;
  /** 77 token ids. */
  ids: readonly number[];
  seed: number;
  steps?: number;
}

const session = (dir: string, name: string) => InferenceSession.create(`${dir}/${name}/model.onnx`);

/** Declared element type of an input, from the session's metadata. */
function inputType(s: InferenceSession, name: string): string {
  const meta = s.inputMetadata.find((m) => m.name === name);
  if (meta === undefined || !meta.isTensor) throw new Error(`no tensor input ${name}`);
  return meta.type;
}

function idsTensor(s: InferenceSession, ids: readonly number[]): Tensor {
  return inputType(s, "input_ids") === "int64"
    ? new Tensor("int64", BigInt64Array.from(ids, BigInt), [1, ids.length])
    : new Tensor("int32", Int32Array.from(ids), [1, ids.length]);
}

/** Deterministic N(0, 1) values (Box–Muller over a small LCG) for test latents. */
export function gaussian(count: number, seed: number): Float32Array {
  let state = seed >>> 0 || 1;
  const unit = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 0.5) / 4_294_967_296;
  };
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = Math.sqrt(-2 * Math.log(unit())) * Math.cos(2 * Math.PI * unit());
  return out;
}

/**
 * Text-encode `ids`, run `steps` Euler steps (epsilon, scaled_linear betas) at 64×64 and decode: the
 * image in [-1, 1] as [3, 64, 64] floats. Family inputs come from what the sessions declare:
 * SDXL's penultimate states of both encoders, `text_embeds` and `time_ids`; LCM's `timestep_cond`;
 * the inpainting UNet's mask and masked-image latents.
 */
export async function generateImage(inputs: GenerationInputs): Promise<Float32Array> {
  const { modelDir: dir, dtype } = inputs;
  const sessions: InferenceSession[] = [];
  const open = async (name: string) => {
    const s = await session(dir, name);
    sessions.push(s);
    return s;
  };
  try {
    const encoder = await open("text_encoder");
    const encoded = await encoder.run({ input_ids: idsTensor(encoder, inputs.ids) });
    let context = floatValues(encoded.last_hidden_state as Tensor);
    let width = (encoded.last_hidden_state as Tensor).dims[2] as number;
    const unet = await open("unet");
    const extra: Record<string, Tensor> = {};
    if (unet.inputNames.includes("text_embeds")) {
      const encoder2 = await open("text_encoder_2");
      const encoded2 = await encoder2.run({ input_ids: idsTensor(encoder2, inputs.ids) });
      const penultimate = (out: InferenceSession.ReturnType, session: InferenceSession) => {
        const count = session.outputNames.filter((n) => n.startsWith("hidden_states.")).length;
        return out[`hidden_states.${count - 2}`] as Tensor;
      };
      const first = penultimate(encoded, encoder);
      const second = penultimate(encoded2, encoder2);
      const [w1, w2] = [first.dims[2] as number, second.dims[2] as number];
      const a = floatValues(first);
      const b = floatValues(second);
      context = new Float32Array(77 * (w1 + w2));
      for (let t = 0; t < 77; t++) {
        context.set(a.subarray(t * w1, (t + 1) * w1), t * (w1 + w2));
        context.set(b.subarray(t * w2, (t + 1) * w2), t * (w1 + w2) + w1);
      }
      width = w1 + w2;
      const pooled = encoded2.text_embeds as Tensor;
      extra.text_embeds = floatTensor(floatValues(pooled), pooled.dims, dtype);
      extra.time_ids = floatTensor([64, 64, 0, 0, 64, 64], [1, 6], dtype);
    }
    if (unet.inputNames.includes("timestep_cond"))
      extra.timestep_cond = floatTensor(new Float32Array(256).fill(0.1), [1, 256], dtype);
    const sampleChannels = unet.inputMetadata.find((m) => m.name === "sample");
    const inChannels = sampleChannels?.isTensor ? (sampleChannels.shape[1] as number) : 4;

    // scaled_linear betas → sigmas at evenly spaced timesteps.
    const alphasCumprod: number[] = [];
    let product = 1;
    for (let i = 0; i < 1000; i++) {
      const beta = (Math.sqrt(0.00085) + (i / 999) * (Math.sqrt(0.012) - Math.sqrt(0.00085))) ** 2;
      product *= 1 - beta;
      alphasCumprod.push(product);
    }
    const steps = inputs.steps ?? 4;
    const timesteps = Array.from({ length: steps }, (_, i) => Math.round(999 - (i * 1000) / steps));
    const sigma = (t: number) => Math.sqrt((1 - (alphasCumprod[t] as number)) / (alphasCumprod[t] as number));
    const latentSize = 4 * 8 * 8;
    const latents = gaussian(latentSize, inputs.seed).map((v) => v * sigma(timesteps[0] as number));
    const timestepType = inputType(unet, "timestep");
    for (let i = 0; i < steps; i++) {
      const t = timesteps[i] as number;
      const s = sigma(t);
      const scaled = latents.map((v) => v / Math.sqrt(s * s + 1));
      const sample = new Float32Array(inChannels * 64);
      sample.set(scaled);
      if (inChannels === 9) sample.fill(1, 4 * 64, 5 * 64); // mask: repaint everything
      const out = await unet.run({
        sample: floatTensor(sample, [1, inChannels, 8, 8], dtype),
        timestep:
          timestepType === "int64"
            ? new Tensor("int64", BigInt64Array.from([BigInt(t)]), [1])
            : floatTensor([t], [1], dtype),
        encoder_hidden_states: floatTensor(context, [1, 77, width], dtype),
        ...extra,
      });
      const eps = floatValues(out.out_sample as Tensor);
      const next = i + 1 < steps ? sigma(timesteps[i + 1] as number) : 0;
      for (let j = 0; j < latentSize; j++)
        latents[j] = (latents[j] as number) + (next - s) * (eps[j] as number);
    }
    const decoder = await open("vae_decoder");
    const decoded = await decoder.run({
      latent_sample: floatTensor(
        latents.map((v) => v / 0.18215),
        [1, 4, 8, 8],
        dtype,
      ),
    });
    return floatValues(decoded.sample as Tensor);
  } finally {
    for (const s of sessions) await s.release();
  }
}

/** 8-bit pixels as a pipeline makes them: (x / 2 + 0.5) clamped, ×255, rounded. */
export function toPixels(image: Float32Array): Uint8Array {
  return Uint8Array.from(image, (v) => Math.round(Math.min(1, Math.max(0, v / 2 + 0.5)) * 255));
}

/** Run a graph (bytes, or a path whose external data lies beside it) once on the CPU provider, unoptimised. */
export async function runUnoptimized(model: Uint8Array | string, feeds: Record<string, Tensor>) {
  const options = { graphOptimizationLevel: "disabled" } as const;
  const session = await (typeof model === "string"
    ? InferenceSession.create(model, options)
    : InferenceSession.create(model, options));
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

/**
 * The largest difference between `actual` and `expected` over the largest magnitude in `expected`
 * (NaN when `expected` is all zeros, so no comparison against it passes).
 */
export function worstRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length)
    throw new Error(`${actual.length} values compared with ${expected.length}`);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs((actual[i] as number) - (expected[i] as number)));
    scale = Math.max(scale, Math.abs(expected[i] as number));
  }
  return scale === 0 ? Number.NaN : worst / scale;
}
