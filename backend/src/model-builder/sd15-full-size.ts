import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { buildVaeDecoderKL, buildVaeEncoder } from "./autoencoder-kl.ts";
import type { GraphOptions } from "./graph.ts";
import { clipLoraModule, LORA_INPUT_LAYERS, type LoraInputLayers, unetLoraModules } from "./lora-inputs.ts";
import { OPERATOR_SETS, type OperatorSet } from "./nn.ts";
import { sd15TextEncoder, sd15UNet, sd15Vae } from "./sd15-architecture.ts";
import { writeConfigs } from "./sd15-configs.ts";
import { countNetworks, type NetworkCount, writeStreamedFolder } from "./streamed-folder.ts";
import type { NetworkBuilder } from "./streamed-network.ts";
import { buildTextEncoder } from "./text-encoder.ts";
import type { Exporter } from "./tiny-families.ts";
import { buildUNet2DCondition } from "./unet-2d-condition.ts";
import { WeightSource, type Weights } from "./weights.ts";

export type FullSizeNetwork = "text_encoder" | "unet" | "vae_encoder" | "vae_decoder";
/** A network a build writes: the four, and `cnet` with `controlnet: true`. */
export type BuiltNetwork = FullSizeNetwork | "cnet";
export const FULL_SIZE_NETWORKS: readonly FullSizeNetwork[] = [
  "text_encoder",
  "unet",
  "vae_encoder",
  "vae_decoder",
];

export interface FullSizeOptions {
  dtype: "float32" | "float16";
  /** Input declarations as diffusers' script (default) or optimum writes them. */
  exporter?: Exporter;
  /**
   * A folder with CLIP's `vocab.json` and `merges.txt` (e.g. `../shared/data/clip`), copied to
   * `tokenizer/`; without it the tiny models' 1,000-token BPE stands in.
   */
  tokenizerDir?: string;
  /** Weight seed (default 1234). */
  seed?: number;
  /**
   * Real weights in place of the seeded random ones (model-import reads them from a diffusers folder
   * or a single-file checkpoint).
   */
  weights?: Sd15Weights;
  /** Called once every network is written, before the folder appears: throwing abandons the build. */
  beforeCommit?: () => void;
  /**
   * Standard ONNX operators (default), or onnxruntime's fused contrib operators for its CUDA provider
   * (see `OperatorSet`; several of them have no CPU kernel).
   */
  operators?: OperatorSet;
  /**
   * Build the UNet and text encoder with low-rank adapter inputs on the layers LoRAs train (`linear`,
   * or `locon` with the k×k convolutions too), so the engine can apply LoRAs per request (see
   * lora-inputs.ts), with either operator set. Default none.
   */
  loraInputs?: LoraInputLayers;
  /** Divide every width by this (8 builds the same graphs at 1/64 of the parameters); default 1. */
  widthDivisor?: number;
  /**
   * Also write `cnet/`: the UNet, same weights, taking a ControlNet's residuals (onnx-web's layout; see
   * controlnet.ts). Default false.
   */
  controlnet?: boolean;
  /** Called as weights are written, with bytes of parameters done and in all. */
  onProgress?: (progress: FullSizeProgress) => void;
}

export interface FullSizeProgress {
  network: BuiltNetwork;
  bytesDone: number;
  bytesTotal: number;
}

export interface FullSizeResult {
  dir: string;
  parameters: Record<FullSizeNetwork, number> & { cnet?: number };
  /** Bytes of each network's `model.onnx_data`. */
  dataBytes: Record<FullSizeNetwork, number> & { cnet?: number };
  /** The folder the tokenizer's `vocab.json` and `merges.txt` came from; undefined for the stand-in. */
  tokenizerDir: string | undefined;
}

/** Real weights for the three networks. */
export interface Sd15Weights {
  readonly textEncoder: Weights;
  readonly unet: Weights;
  readonly vae: Weights;
  /** The UNet's input channels as its `conv_in` has them: 9 for an inpainting model, else 4. */
  readonly unetInChannels: number;
}

/**
 * The four networks of SD 1.5 as builders over a graph's options (sink, float type), with seeded
 * random weights or the checkpoint's.
 */
function networks(options: FullSizeOptions, checkpoint?: Sd15Weights): Record<BuiltNetwork, NetworkBuilder> {
  const divisor = options.widthDivisor ?? 1;
  const optimum = options.exporter === "optimum";
  const seed = options.seed ?? 1234;
  const weights = (offset: number, real: Weights | undefined): Weights =>
    real ?? new WeightSource(seed + offset);
  const operators = options.operators ?? "standard";
  const lora = options.loraInputs;
  const unet = (g: GraphOptions, controlResiduals: boolean) =>
    buildUNet2DCondition(
      weights(3, checkpoint?.unet),
      { ...sd15UNet(divisor), inChannels: checkpoint?.unetInChannels ?? 4 },
      {
        timestep: optimum ? { type: "int64", dims: [1] } : { type: "float", dims: ["batch"] },
        operators,
        controlResiduals,
      },
      lora === undefined ? g : { ...g, loraModule: unetLoraModules(lora) },
    );
  return {
    text_encoder: (graph) =>
      buildTextEncoder(
        weights(1, checkpoint?.textEncoder),
        {
          ...sd15TextEncoder(divisor),
          idsType: optimum ? "int64" : "int32",
          // every layer's states, as optimum's export has them, so requests can use clip skip
          outputHiddenStates: true,
          operators,
        },
        lora === undefined ? graph : { ...graph, loraModule: clipLoraModule },
      ),
    unet: (g) => unet(g, false),
    cnet: (g) => unet(g, true),
    vae_encoder: (g) =>
      buildVaeEncoder(
        weights(4, checkpoint?.vae),
        sd15Vae(divisor),
        optimum ? "latent_parameters" : "latent_sample",
        g,
        {
          operators,
        },
      ),
    vae_decoder: (g) => buildVaeDecoderKL(weights(5, checkpoint?.vae), sd15Vae(divisor), { operators }, g),
  };
}

/**
 * Each network's parameter count and bytes, from graphs built with a counting sink: no weight is
 * made, so this takes milliseconds at full size.
 */
export function countSd15Parameters(
  options: Pick<FullSizeOptions, "dtype" | "widthDivisor" | "exporter" | "operators">,
): Record<FullSizeNetwork, NetworkCount> {
  const floatType = options.dtype === "float16" ? "float16" : "float";
  return countNetworks(FULL_SIZE_NETWORKS, networks(options), () => floatType);
}

/** Refuse, naming the option, what `buildSd15FullSize` cannot build, before any work. */
export function checkFullSizeOptions(
  options: Pick<FullSizeOptions, "dtype" | "operators" | "loraInputs" | "tokenizerDir">,
): void {
  if (options.dtype !== "float32" && options.dtype !== "float16")
    throw new Error(`options.dtype: ${JSON.stringify(options.dtype)} is not "float32" or "float16"`);
  if (options.operators !== undefined && !OPERATOR_SETS.includes(options.operators))
    throw new Error(`options.operators: ${JSON.stringify(options.operators)} is not "standard" or "fused"`);
  if (options.loraInputs !== undefined && !LORA_INPUT_LAYERS.includes(options.loraInputs))
    throw new Error(`options.loraInputs: ${JSON.stringify(options.loraInputs)} is not "linear" or "locon"`);
  if (options.tokenizerDir !== undefined) {
    for (const file of ["vocab.json", "merges.txt"])
      if (!existsSync(join(options.tokenizerDir, file)))
        throw new Error(`options.tokenizerDir: ${options.tokenizerDir} has no ${file}`);
  }
}

/**
 * Write Stable Diffusion 1.5's full architecture with seeded random weights (or given `weights`; see
 * model-import for a checkpoint's) to `outDir`, as an ONNX
 * export folder: CLIP ViT-L/14 text encoder (123,060,480 parameters), the 859,520,964-parameter UNet,
 * the VAE encoder and decoder, each `model.onnx` with its weights in `model.onnx_data`. Weights are
 * made and written one tensor at a time, never all in memory. The folder appears whole or not at all.
 *
 * @example
 * await buildSd15FullSize("/models/sd15-random-fp16", { dtype: "float16", tokenizerDir: "../shared/data/clip" });
 */
export async function buildSd15FullSize(outDir: string, options: FullSizeOptions): Promise<FullSizeResult> {
  checkFullSizeOptions(options);
  const dir = resolve(outDir);
  const { tokenizerDir, weights: checkpoint } = options;
  const floatType = options.dtype === "float16" ? "float16" : "float";
  const counts = countSd15Parameters(options);
  // The residual UNet holds the UNet's parameters.
  const countOf = (network: BuiltNetwork) => counts[network === "cnet" ? "unet" : network];
  const networkList: BuiltNetwork[] = [
    ...FULL_SIZE_NETWORKS,
    ...(options.controlnet === true ? ["cnet" as const] : []),
  ];
  const builders = networks(options, checkpoint);
  const dataBytes = (await writeStreamedFolder(
    dir,
    networkList.map((name) => ({
      name,
      build: builders[name],
      floatType,
      parameterBytes: countOf(name).bytes,
    })),
    {
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
      ...(options.beforeCommit === undefined ? {} : { beforeCommit: options.beforeCommit }),
      writeFiles: (staging) => writeConfigs(staging, options, checkpoint?.unetInChannels ?? 4),
    },
  )) as FullSizeResult["dataBytes"];
  const parameters = Object.fromEntries(
    networkList.map((name) => [name, countOf(name).parameters]),
  ) as FullSizeResult["parameters"];
  return { dir, parameters, dataBytes, tokenizerDir };
}
