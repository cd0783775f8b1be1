import { resolve } from "node:path";
import { buildVaeDecoderKL, buildVaeEncoder } from "./autoencoder-kl.ts";
import type { FloatTypeName, GraphOptions } from "./graph.ts";
import { clipLoraModule, unetLoraModules } from "./lora-inputs.ts";
import { checkFullSizeOptions, type FullSizeOptions } from "./sd15-full-size.ts";
import { sdxlTextEncoder, sdxlTextEncoder2, sdxlUNet, sdxlVae } from "./sdxl-architecture.ts";
import { writeSdxlConfigs } from "./sdxl-configs.ts";
import type { SdxlWeights } from "./sdxl-weights.ts";
import { countNetworks, type NetworkCount, writeStreamedFolder } from "./streamed-folder.ts";
import type { NetworkBuilder } from "./streamed-network.ts";
import { buildTextEncoder, type TextEncoderShape } from "./text-encoder.ts";
import { buildUNet2DCondition } from "./unet-2d-condition.ts";
import { WeightSource, type Weights } from "./weights.ts";

export type SdxlNetwork = "text_encoder" | "text_encoder_2" | "unet" | "vae_encoder" | "vae_decoder";
export const SDXL_NETWORKS: readonly SdxlNetwork[] = [
  "text_encoder",
  "text_encoder_2",
  "unet",
  "vae_encoder",
  "vae_decoder",
];

/**
 * SD 1.5's full-size options (sd15-full-size.ts) less what SDXL does not have here: folders are laid
 * out as optimum exports SDXL (int64 ids and timestep, `hidden_states.*`, `latent_parameters`), no
 * `cnet/`. `tokenizerDir` fills both tokenizers (the second pads with `!`).
 */
export interface SdxlFullSizeOptions
  extends Omit<FullSizeOptions, "exporter" | "weights" | "controlnet" | "onProgress"> {
  /** Real weights in place of the seeded random ones (model-import reads them). */
  weights?: SdxlWeights;
  onProgress?: (progress: { network: SdxlNetwork; bytesDone: number; bytesTotal: number }) => void;
}

export interface SdxlFullSizeResult {
  dir: string;
  parameters: Record<SdxlNetwork, number>;
  /** Bytes of each network's `model.onnx_data`. */
  dataBytes: Record<SdxlNetwork, number>;
}

type CountOptions = Pick<SdxlFullSizeOptions, "dtype" | "widthDivisor" | "operators" | "loraInputs">;

/**
 * The float type each network is built in: a float16 build keeps the VAE in float32, as diffusers'
 * `force_upcast` runs SDXL's VAE (its activations overflow float16).
 */
export function sdxlFloatType(network: SdxlNetwork, dtype: SdxlFullSizeOptions["dtype"]): FloatTypeName {
  return dtype === "float16" && !network.startsWith("vae_") ? "float16" : "float";
}

/**
 * The five networks of SDXL base as builders, with seeded random weights or the checkpoint's (the
 * refiner's has no first encoder, whose builder it does not call).
 */
export function sdxlNetworkBuilders(
  options: CountOptions & { seed?: number },
  checkpoint?: Partial<SdxlWeights>,
) {
  const divisor = options.widthDivisor ?? 1;
  const seed = options.seed ?? 1234;
  const weights = (offset: number, real: Weights | undefined): Weights =>
    real ?? new WeightSource(seed + offset);
  const operators = options.operators ?? "standard";
  const lora = options.loraInputs;
  const encoder = (shape: TextEncoderShape, real: Weights | undefined, offset: number, g: GraphOptions) =>
    buildTextEncoder(
      weights(offset, real),
      // every layer's states, as optimum's export has them: SDXL conditions on the penultimate one
      { ...shape, idsType: "int64", outputHiddenStates: true, operators },
      g,
    );
  const builders: Record<SdxlNetwork, NetworkBuilder> = {
    // LoRA inputs on both encoders, by transformers' module names: the engine feeds each its own
    // adapters (`text_encoder:*`, `text_encoder_2:*`; see lora-components.ts).
    text_encoder: (g) =>
      encoder(
        sdxlTextEncoder(divisor),
        checkpoint?.textEncoder,
        1,
        lora === undefined ? g : { ...g, loraModule: clipLoraModule },
      ),
    text_encoder_2: (g) =>
      encoder(
        sdxlTextEncoder2(divisor),
        checkpoint?.textEncoder2,
        2,
        lora === undefined ? g : { ...g, loraModule: clipLoraModule },
      ),
    unet: (g) =>
      buildUNet2DCondition(
        weights(3, checkpoint?.unet),
        sdxlUNet(divisor),
        { timestep: { type: "int64", dims: [1] }, operators },
        lora === undefined ? g : { ...g, loraModule: unetLoraModules(lora) },
      ),
    vae_encoder: (g) =>
      buildVaeEncoder(weights(4, checkpoint?.vae), sdxlVae(divisor), "latent_parameters", g, { operators }),
    vae_decoder: (g) => buildVaeDecoderKL(weights(5, checkpoint?.vae), sdxlVae(divisor), { operators }, g),
  };
  return builders;
}

/**
 * Each network's parameter count and bytes (the VAE's in float32 for float16 builds), from graphs
 * built with a counting sink: milliseconds at full size.
 */
export function countSdxlParameters(options: CountOptions): Record<SdxlNetwork, NetworkCount> {
  return countNetworks(SDXL_NETWORKS, sdxlNetworkBuilders(options), (network) =>
    sdxlFloatType(network, options.dtype),
  );
}

/**
 * Write Stable Diffusion XL base 1.0's full architecture with seeded random weights (or given
 * `weights`) to `outDir` as optimum exports it: CLIP ViT-L/14 (123,060,480 parameters) and OpenCLIP
 * ViT-bigG/14 with its projection (694,659,840), the 2,567,463,684-parameter UNet taking `text_embeds`
 * and `time_ids`, the VAE encoder and decoder (float32 whatever `dtype`), each `model.onnx` with its
 * weights streamed to `model.onnx_data`. The folder appears whole or not at all.
 *
 * @example
 * await buildSdxlFullSize("/models/sdxl-random-fp16", { dtype: "float16", operators: "fused" });
 */
export async function buildSdxlFullSize(
  outDir: string,
  options: SdxlFullSizeOptions,
): Promise<SdxlFullSizeResult> {
  checkFullSizeOptions(options);
  const dir = resolve(outDir);
  const counts = countSdxlParameters(options);
  const builders = sdxlNetworkBuilders(options, options.weights);
  return writeSdxlFamilyFolder(dir, SDXL_NETWORKS, builders, counts, options, (staging) =>
    writeSdxlConfigs(staging, options),
  );
}

/**
 * Stream an SDXL-family folder's networks (the VAE in float32 for float16 builds) and write its
 * configs; each network's parameters and data bytes.
 */
export async function writeSdxlFamilyFolder<N extends SdxlNetwork>(
  dir: string,
  networks: readonly N[],
  builders: Record<N, NetworkBuilder>,
  counts: Record<N, NetworkCount>,
  options: Pick<SdxlFullSizeOptions, "dtype" | "beforeCommit"> & {
    onProgress?: ((progress: { network: N; bytesDone: number; bytesTotal: number }) => void) | undefined;
  },
  writeFiles: (staging: string) => void,
): Promise<{ dir: string; parameters: Record<N, number>; dataBytes: Record<N, number> }> {
  const dataBytes = await writeStreamedFolder(
    dir,
    networks.map((name) => ({
      name,
      build: builders[name],
      floatType: sdxlFloatType(name, options.dtype),
      parameterBytes: counts[name].bytes,
    })),
    {
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
      ...(options.beforeCommit === undefined ? {} : { beforeCommit: options.beforeCommit }),
      writeFiles,
    },
  );
  const parameters = Object.fromEntries(networks.map((name) => [name, counts[name].parameters]));
  return { dir, parameters: parameters as Record<N, number>, dataBytes };
}
