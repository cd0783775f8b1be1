/**
 * Test support for the SDXL importers: SDXL's four networks (or the refiner's three) at a reduced
 * width (sdxl-architecture.ts, sdxl-refiner-architecture.ts) walked through the graph builders the
 * full-size builders use, without writing a model, to learn every tensor they ask for; and the
 * checkpoints a torch user would have saved from those tensors.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { buildVaeDecoderKL, buildVaeEncoder } from "../model-builder/autoencoder-kl.ts";
import { sdxlTextEncoder, sdxlTextEncoder2, sdxlUNet, sdxlVae } from "../model-builder/sdxl-architecture.ts";
import { sdxlRefinerUNet } from "../model-builder/sdxl-refiner-architecture.ts";
import type { SdxlRefinerWeights, SdxlWeights } from "../model-builder/sdxl-weights.ts";
import type { TensorSink } from "../model-builder/tensor-sink.ts";
import { buildTextEncoder } from "../model-builder/text-encoder.ts";
import { buildUNet2DCondition, type UNet2DConditionConfig } from "../model-builder/unet-2d-condition.ts";
import { type TensorRequest, WeightSource, type Weights } from "../model-builder/weights.ts";
import { clipTextModelNames } from "./checkpoint-weights.ts";
import type { SdxlBuildInputs } from "./import-sdxl.ts";
import type { SdxlRefinerBuilder } from "./import-sdxl-refiner.ts";
import { encodeSafetensors, type FloatDtypeName, type SafetensorsTensor } from "./safetensors.ts";
import { SDXL_REFINER_OPEN_CLIP_PREFIX } from "./sdxl-refiner-checkpoint.ts";
import { SDXL_CLIP_PREFIX, SDXL_OPEN_CLIP_PREFIX } from "./sdxl-single-file-checkpoint.ts";
import {
  type LdmUNetLayout,
  originalUNetName,
  originalVaeName,
  SDXL_REFINER_UNET_LAYOUT,
  SDXL_UNET_LAYOUT,
} from "./single-file-checkpoint.ts";

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

export const SDXL_NETWORKS = ["textEncoder", "textEncoder2", "unet", "vae"] as const;
/** The refiner's networks: SDXL base's less the first text encoder. */
export const SDXL_REFINER_NETWORKS = ["textEncoder2", "unet", "vae"] as const;

type SdxlNetworkName = (typeof SDXL_NETWORKS)[number];
type SdxlRefinerNetworkName = (typeof SDXL_REFINER_NETWORKS)[number];
/** What each network asked for, base's or the refiner's. */
type RequestsOf<N extends SdxlNetworkName> = Record<N, SdxlRequest[]>;
export type SdxlRequests = RequestsOf<SdxlNetworkName>;
export type SdxlRefinerRequests = RequestsOf<SdxlRefinerNetworkName>;

/** Asks for every parameter's bytes and keeps none: each of the graph's weights is requested once. */
const requestingSink: TensorSink = {
  store: (tensor) => {
    if (tensor.kind === "parameter") tensor.bytes();
    return {};
  },
};

/**
 * Every tensor the networks `weights` has of SDXL at 1/`divisor` width (the UNet built as `unet`)
 * ask it for, with what it gave, in the order the graphs ask.
 */
function requestNetworks<N extends SdxlNetworkName>(
  weights: Record<N, Weights>,
  divisor: number,
  unet: UNet2DConditionConfig,
): RequestsOf<N> {
  const graph = { sink: requestingSink };
  const builds: Record<SdxlNetworkName, (source: Weights) => void> = {
    textEncoder: (source) => buildTextEncoder(source, sdxlTextEncoder(divisor), graph),
    textEncoder2: (source) => buildTextEncoder(source, sdxlTextEncoder2(divisor), graph),
    unet: (source) => buildUNet2DCondition(source, unet, {}, graph),
    vae: (source) => {
      buildVaeEncoder(source, sdxlVae(divisor), "latent_parameters", graph);
      buildVaeDecoderKL(source, sdxlVae(divisor), {}, graph);
    },
  };
  const networks = SDXL_NETWORKS.filter((network): network is N => network in weights);
  const requests = Object.fromEntries(networks.map((network) => [network, []])) as unknown as RequestsOf<N>;
  for (const network of networks) {
    const source = weights[network];
    builds[network]({
      normal: (name, count, std, tensor) => {
        const values = source.normal(name, count, std, tensor);
        requests[network].push({ name, count, tensor, values });
        return values;
      },
    });
  }
  return requests;
}

/** Every tensor the four networks of SDXL at 1/`divisor` width ask `weights` for, with what it gave. */
export function requestSdxlWeights(weights: SdxlWeights, divisor: number): SdxlRequests {
  return requestNetworks(pick(weights, SDXL_NETWORKS), divisor, unetAt(divisor));
}

/** The same for the refiner's three networks (its own four-level UNet). */
export function requestSdxlRefinerWeights(weights: SdxlRefinerWeights, divisor: number): SdxlRefinerRequests {
  return requestNetworks(pick(weights, SDXL_REFINER_NETWORKS), divisor, sdxlRefinerUNet(divisor));
}

/** `networks` of `weights` alone: base's weights given to the refiner keep their first encoder unasked. */
function pick<N extends SdxlNetworkName>(
  weights: Record<N, Weights>,
  networks: readonly N[],
): Record<N, Weights> {
  return Object.fromEntries(networks.map((network) => [network, weights[network]])) as Record<N, Weights>;
}

/** What SDXL at 1/`divisor` width asks for, given seeded random weights. */
export function randomSdxlRequests(seed: number, divisor: number): SdxlRequests {
  const source = new WeightSource(seed);
  return requestSdxlWeights(
    { textEncoder: source, textEncoder2: source, unet: source, vae: source },
    divisor,
  );
}

/** What the refiner at 1/`divisor` width asks for, given seeded random weights. */
export function randomSdxlRefinerRequests(seed: number, divisor: number): SdxlRefinerRequests {
  const source = new WeightSource(seed);
  return requestSdxlRefinerWeights({ textEncoder2: source, unet: source, vae: source }, divisor);
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

/** The state dicts of a diffusers SDXL (or refiner) folder, one per network, each tensor once. */
export function sdxlStateDicts<N extends SdxlNetworkName>(
  requests: RequestsOf<N>,
  dtype: FloatDtypeName,
): Record<N, SafetensorsTensor[]> {
  const clip = (name: string) => clipTextModelNames(name)[0] as string;
  const once = (network: N) => {
    const rename = network.startsWith("textEncoder") ? clip : (name: string) => name;
    const seen = new Map<string, SafetensorsTensor>();
    for (const request of requests[network])
      seen.set(rename(request.name), stateTensor(request, dtype, rename(request.name)));
    return [...seen.values()];
  };
  const networks = Object.keys(requests) as N[];
  return Object.fromEntries(networks.map((network) => [network, once(network)])) as Record<
    N,
    SafetensorsTensor[]
  >;
}

/** `tensors` written as one safetensors file at `path` (its folder made). */
export function writeTensors(path: string, tensors: readonly SafetensorsTensor[]): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, encodeSafetensors(tensors, { format: "pt" }));
}

const DIFFUSERS_FILES: Record<SdxlNetworkName, string> = {
  textEncoder: "text_encoder/model",
  textEncoder2: "text_encoder_2/model",
  unet: "unet/diffusion_pytorch_model",
  vae: "vae/diffusion_pytorch_model",
};

/**
 * A diffusers SDXL (or refiner) folder of `requests`, a weight file per network named
 * `<base><suffix>.safetensors`.
 */
export function writeSdxlDiffusersFolder<N extends SdxlNetworkName>(
  dir: string,
  requests: RequestsOf<N>,
  options: { dtype: FloatDtypeName; suffix?: string },
): void {
  const dicts = sdxlStateDicts(requests, options.dtype);
  for (const network of Object.keys(dicts) as N[])
    writeTensors(join(dir, `${DIFFUSERS_FILES[network]}${options.suffix ?? ""}.safetensors`), dicts[network]);
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

interface SingleFileOptions {
  dtype: FloatDtypeName;
  extras?: readonly SafetensorsTensor[];
  drop?: string;
}

/**
 * A single-file SDXL checkpoint of `requests` in Stability's layout, stored as `dtype`, then `extras`;
 * `drop` leaves one tensor out.
 */
export function writeSdxlSingleFile(path: string, requests: SdxlRequests, options: SingleFileOptions): void {
  const dicts = sdxlStateDicts(requests, options.dtype);
  writeStabilityFile(
    path,
    [
      ...dicts.textEncoder.map((t) => ({ ...t, name: `${SDXL_CLIP_PREFIX}${t.name}` })),
      ...openClipTensors(dicts.textEncoder2).map((t) => ({
        ...t,
        name: `${SDXL_OPEN_CLIP_PREFIX}${t.name}`,
      })),
    ],
    dicts,
    SDXL_UNET_LAYOUT,
    options,
  );
}

/** The same for the refiner, as sd_xl_refiner_1.0.safetensors: bigG alone, as embedders.0. */
export function writeSdxlRefinerSingleFile(
  path: string,
  requests: SdxlRefinerRequests,
  options: SingleFileOptions,
): void {
  const dicts = sdxlStateDicts(requests, options.dtype);
  const openClip = openClipTensors(dicts.textEncoder2).map((t) => ({
    ...t,
    name: `${SDXL_REFINER_OPEN_CLIP_PREFIX}${t.name}`,
  }));
  writeStabilityFile(path, openClip, dicts, SDXL_REFINER_UNET_LAYOUT, options);
}

/** Text encoders as given, then the UNet and VAE under their ldm names, extras, less `drop`. */
function writeStabilityFile(
  path: string,
  encoders: readonly SafetensorsTensor[],
  dicts: Record<"unet" | "vae", SafetensorsTensor[]>,
  layout: LdmUNetLayout,
  options: SingleFileOptions,
): void {
  const all = [
    ...encoders,
    ...dicts.unet.map((t) => ({ ...t, name: `model.diffusion_model.${originalUNetName(t.name, layout)}` })),
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

/** The same stand-in for the refiner's builder, as `importSdxlRefiner` calls it, with the tokenizer it got. */
export function requestingRefinerBuild(
  divisor: number,
): SdxlRefinerBuilder<{ requests: SdxlRefinerRequests; tokenizerDir: string | undefined }> {
  return async (_dir, options) => ({
    requests: requestSdxlRefinerWeights(options.weights, divisor),
    tokenizerDir: options.tokenizerDir,
  });
}
