/**
 * Test support for the SDXL importers: SDXL's four networks at a reduced width (sdxl-architecture.ts)
 * walked through the graph builders the full-size builder uses, without writing a model, to learn
 * every tensor they ask for; and the checkpoints a torch user would have saved from those tensors.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { buildVaeDecoderKL, buildVaeEncoder } from "../model-builder/autoencoder-kl.ts";
import { sdxlTextEncoder, sdxlTextEncoder2, sdxlUNet, sdxlVae } from "../model-builder/sdxl-architecture.ts";
import type { SdxlWeights } from "../model-builder/sdxl-weights.ts";
import type { TensorSink } from "../model-builder/tensor-sink.ts";
import { buildTextEncoder } from "../model-builder/text-encoder.ts";
import { buildUNet2DCondition, type UNet2DConditionConfig } from "../model-builder/unet-2d-condition.ts";
import { type TensorRequest, WeightSource, type Weights } from "../model-builder/weights.ts";
import { clipTextModelNames } from "./checkpoint-weights.ts";
import type { SdxlBuildInputs } from "./import-sdxl.ts";
import { encodeSafetensors, type FloatDtypeName, type SafetensorsTensor } from "./safetensors.ts";
import { SDXL_CLIP_PREFIX, SDXL_OPEN_CLIP_PREFIX } from "./sdxl-single-file-checkpoint.ts";
import { originalUNetName, originalVaeName, SDXL_UNET_LAYOUT } from "./single-file-checkpoint.ts";

/** SDXL's UNet at 1/`divisor` width, in groups that divide its narrowest level (10 channels at 1/32). */
function unetAt(divisor: number): UNet2DConditionConfig {
  const config = sdxlUNet(divisor);
  return divisor >= 32 ? { ...config, normNumGroups: 2 } : config;
}

/** One tensor a builder asked for, and the values it was given. */
export interface SdxlRequest {
  readonly name: string;
  readonly count: number;
  readonly tensor: TensorRequest;
  readonly values: Float32Array;
}

export interface SdxlRequests {
  textEncoder: SdxlRequest[];
  textEncoder2: SdxlRequest[];
  unet: SdxlRequest[];
  vae: SdxlRequest[];
}

export const SDXL_NETWORKS = ["textEncoder", "textEncoder2", "unet", "vae"] as const;

/** Asks for every parameter's bytes and keeps none: each of the graph's weights is requested once. */
const requestingSink: TensorSink = {
  store: (tensor) => {
    if (tensor.kind === "parameter") tensor.bytes();
    return {};
  },
};

/**
 * Every tensor the four networks of SDXL at 1/`divisor` width ask `weights` for, with what it gave,
 * in the order the graphs ask.
 */
export function requestSdxlWeights(weights: SdxlWeights, divisor: number): SdxlRequests {
  const recorded = (source: Weights, into: SdxlRequest[]): Weights => ({
    normal: (name, count, std, tensor) => {
      const values = source.normal(name, count, std, tensor);
      into.push({ name, count, tensor, values });
      return values;
    },
  });
  const requests: SdxlRequests = { textEncoder: [], textEncoder2: [], unet: [], vae: [] };
  const graph = { sink: requestingSink };
  buildTextEncoder(recorded(weights.textEncoder, requests.textEncoder), sdxlTextEncoder(divisor), graph);
  buildTextEncoder(recorded(weights.textEncoder2, requests.textEncoder2), sdxlTextEncoder2(divisor), graph);
  buildUNet2DCondition(recorded(weights.unet, requests.unet), unetAt(divisor), {}, graph);
  const vae = recorded(weights.vae, requests.vae);
  buildVaeEncoder(vae, sdxlVae(divisor), "latent_parameters", graph);
  buildVaeDecoderKL(vae, sdxlVae(divisor), {}, graph);
  return requests;
}

/** What SDXL at 1/`divisor` width asks for, given seeded random weights. */
export function randomSdxlRequests(seed: number, divisor: number): SdxlRequests {
  const source = new WeightSource(seed);
  return requestSdxlWeights(
    { textEncoder: source, textEncoder2: source, unet: source, vae: source },
    divisor,
  );
}

/** Zeros for every request: learns the names of a large build without drawing its weights. */
const zeros: Weights = { normal: (_name, count) => new Float32Array(count) };
export const ZERO_SDXL_WEIGHTS: SdxlWeights = {
  textEncoder: zeros,
  textEncoder2: zeros,
  unet: zeros,
  vae: zeros,
};

/** A request's values as torch stores them: transposed back where the builder asked for [in, out]. */
function torchValues({ values, tensor }: SdxlRequest): Float32Array {
  if (tensor.transpose !== true) return values;
  const [out, inFeatures] = tensor.torchShape as [number, number];
  const torch = new Float32Array(values.length);
  for (let o = 0; o < out; o++)
    for (let i = 0; i < inFeatures; i++) torch[o * inFeatures + i] = values[i * out + o] as number;
  return torch;
}

/** A request as the diffusers state dict's tensor (VAE encoder and decoder share no names). */
function stateTensor(request: SdxlRequest, dtype: FloatDtypeName, name = request.name): SafetensorsTensor {
  return { name, dtype, shape: request.tensor.torchShape, values: torchValues(request) };
}

/** The state dicts of a diffusers SDXL folder, one per network, each tensor once. */
export function sdxlStateDicts(
  requests: SdxlRequests,
  dtype: FloatDtypeName,
): Record<(typeof SDXL_NETWORKS)[number], SafetensorsTensor[]> {
  const once = (list: readonly SdxlRequest[], rename: (name: string) => string) => {
    const seen = new Map<string, SafetensorsTensor>();
    for (const request of list)
      seen.set(rename(request.name), stateTensor(request, dtype, rename(request.name)));
    return [...seen.values()];
  };
  const clip = (name: string) => clipTextModelNames(name)[0] as string;
  return {
    textEncoder: once(requests.textEncoder, clip),
    textEncoder2: once(requests.textEncoder2, clip),
    unet: once(requests.unet, (name) => name),
    vae: once(requests.vae, (name) => name),
  };
}

/** `tensors` written as one safetensors file at `path` (its folder made). */
export function writeTensors(path: string, tensors: readonly SafetensorsTensor[]): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, encodeSafetensors(tensors, { format: "pt" }));
}

/** A diffusers SDXL folder of `requests` (weight files named `<base><suffix>.safetensors`). */
export function writeSdxlDiffusersFolder(
  dir: string,
  requests: SdxlRequests,
  options: { dtype: FloatDtypeName; suffix?: string },
): void {
  const dicts = sdxlStateDicts(requests, options.dtype);
  const suffix = options.suffix ?? "";
  writeTensors(join(dir, `text_encoder/model${suffix}.safetensors`), dicts.textEncoder);
  writeTensors(join(dir, `text_encoder_2/model${suffix}.safetensors`), dicts.textEncoder2);
  writeTensors(join(dir, `unet/diffusion_pytorch_model${suffix}.safetensors`), dicts.unet);
  writeTensors(join(dir, `vae/diffusion_pytorch_model${suffix}.safetensors`), dicts.vae);
}

/**
 * open_clip's tensors for the bigG state dict `tensors` (transformers' names), built here the way
 * open_clip lays them out: q, k and v stacked into `in_proj_weight` / `in_proj_bias`,
 * `text_projection` as [in, out].
 */
export function openClipTensors(tensors: readonly SafetensorsTensor[]): SafetensorsTensor[] {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const out: SafetensorsTensor[] = [];
  for (const t of tensors) {
    const layer = /^text_model\.encoder\.layers\.(\d+)\.(.+)$/.exec(t.name);
    if (layer === null) {
      out.push(openClipWhole(t));
      continue;
    }
    const [, index, rest] = layer as unknown as [string, string, string];
    const block = `transformer.resblocks.${index}`;
    const qkv = /^self_attn\.([qkv])_proj\.(weight|bias)$/.exec(rest);
    if (qkv === null) {
      const renamed = rest
        .replace("layer_norm1.", "ln_1.")
        .replace("layer_norm2.", "ln_2.")
        .replace("mlp.fc1.", "mlp.c_fc.")
        .replace("mlp.fc2.", "mlp.c_proj.")
        .replace("self_attn.out_proj.", "attn.out_proj.");
      out.push({ ...t, name: `${block}.${renamed}` });
    } else if (qkv[1] === "q") {
      const parts = ["q", "k", "v"].map(
        (p) =>
          byName.get(`text_model.encoder.layers.${index}.self_attn.${p}_proj.${qkv[2]}`) as SafetensorsTensor,
      );
      const [rows, ...inner] = t.shape as [number, ...number[]];
      const values = new Float32Array(3 * t.values.length);
      parts.forEach((part, i) => {
        values.set(part.values, i * t.values.length);
      });
      out.push({ ...t, name: `${block}.attn.in_proj_${qkv[2]}`, shape: [3 * rows, ...inner], values });
    }
  }
  return out;
}

function openClipWhole(t: SafetensorsTensor): SafetensorsTensor {
  if (t.name === "text_projection.weight") {
    const [out, inFeatures] = t.shape as [number, number];
    const values = new Float32Array(t.values.length);
    for (let o = 0; o < out; o++)
      for (let i = 0; i < inFeatures; i++) values[i * out + o] = t.values[o * inFeatures + i] as number;
    return { ...t, name: "text_projection", shape: [inFeatures, out], values };
  }
  const names: Record<string, string> = {
    "text_model.embeddings.token_embedding.weight": "token_embedding.weight",
    "text_model.embeddings.position_embedding.weight": "positional_embedding",
    "text_model.final_layer_norm.weight": "ln_final.weight",
    "text_model.final_layer_norm.bias": "ln_final.bias",
  };
  return { ...t, name: names[t.name] ?? t.name };
}

/**
 * A single-file SDXL checkpoint of `requests` in Stability's layout, stored as `dtype`, then `extras`;
 * `drop` leaves one tensor out.
 */
export function writeSdxlSingleFile(
  path: string,
  requests: SdxlRequests,
  options: { dtype: FloatDtypeName; extras?: readonly SafetensorsTensor[]; drop?: string },
): void {
  const dicts = sdxlStateDicts(requests, options.dtype);
  const all = [
    ...dicts.textEncoder.map((t) => ({ ...t, name: `${SDXL_CLIP_PREFIX}${t.name}` })),
    ...openClipTensors(dicts.textEncoder2).map((t) => ({ ...t, name: `${SDXL_OPEN_CLIP_PREFIX}${t.name}` })),
    ...dicts.unet.map((t) => ({
      ...t,
      name: `model.diffusion_model.${originalUNetName(t.name, SDXL_UNET_LAYOUT)}`,
    })),
    ...dicts.vae.map((t) => ({ ...t, name: `first_stage_model.${originalVaeName(t.name)}` })),
    ...(options.extras ?? []),
  ].filter((t) => t.name !== options.drop);
  writeTensors(path, all);
}

/**
 * A stand-in for the SDXL builder that `importSdxl` can call: asks for every tensor of SDXL at
 * 1/`divisor` width, then lets the import refuse to commit, as the builder would.
 */
export function requestingBuild(divisor: number) {
  return async (_dir: string, options: SdxlBuildInputs): Promise<{ requests: SdxlRequests }> => {
    const requests = requestSdxlWeights(options.weights, divisor);
    options.beforeCommit();
    return { requests };
  };
}
