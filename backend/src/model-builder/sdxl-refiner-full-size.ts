import { resolve } from "node:path";
import type { GraphOptions } from "./graph.ts";
import { checkFullSizeOptions } from "./sd15-full-size.ts";
import { writeSdxlRefinerConfigs } from "./sdxl-configs.ts";
import {
  type SdxlFullSizeOptions,
  sdxlFloatType,
  sdxlNetworkBuilders,
  writeSdxlFamilyFolder,
} from "./sdxl-full-size.ts";
import { sdxlRefinerUNet } from "./sdxl-refiner-architecture.ts";
import type { SdxlRefinerWeights } from "./sdxl-weights.ts";
import { countNetworks, type NetworkCount } from "./streamed-folder.ts";
import { buildUNet2DCondition } from "./unet-2d-condition.ts";
import { WeightSource } from "./weights.ts";

export type SdxlRefinerNetwork = "text_encoder_2" | "unet" | "vae_encoder" | "vae_decoder";
export const SDXL_REFINER_NETWORKS: readonly SdxlRefinerNetwork[] = [
  "text_encoder_2",
  "unet",
  "vae_encoder",
  "vae_decoder",
];

/**
 * SDXL base's full-size options with the refiner's three networks' weights and progress (no LoRA
 * inputs: nothing applies adapters to the refiner).
 */
export interface SdxlRefinerFullSizeOptions
  extends Omit<SdxlFullSizeOptions, "weights" | "onProgress" | "loraInputs"> {
  /** Real weights in place of the seeded random ones (model-import reads them). */
  weights?: SdxlRefinerWeights;
  onProgress?: (progress: { network: SdxlRefinerNetwork; bytesDone: number; bytesTotal: number }) => void;
}

/** The refiner's four networks: SDXL base's second encoder and VAE builders, and its own UNet. */
function refinerNetworkBuilders(options: SdxlRefinerFullSizeOptions, checkpoint?: SdxlRefinerWeights) {
  const base = sdxlNetworkBuilders(options, checkpoint);
  return {
    text_encoder_2: base.text_encoder_2,
    unet: (g: GraphOptions) =>
      buildUNet2DCondition(
        // the seed offset of SDXL base's UNet
        checkpoint?.unet ?? new WeightSource((options.seed ?? 1234) + 3),
        sdxlRefinerUNet(options.widthDivisor ?? 1),
        {
          timestep: { type: "int64", dims: [1] },
          operators: options.operators ?? "standard",
        },
        g,
      ),
    vae_encoder: base.vae_encoder,
    vae_decoder: base.vae_decoder,
  };
}

/** Each network's parameter count and bytes, counted without making a weight. */
export function countSdxlRefinerParameters(
  options: SdxlRefinerFullSizeOptions,
): Record<SdxlRefinerNetwork, NetworkCount> {
  return countNetworks(SDXL_REFINER_NETWORKS, refinerNetworkBuilders(options), (network) =>
    sdxlFloatType(network, options.dtype),
  );
}

/**
 * Write Stable Diffusion XL refiner 1.0's architecture with seeded random weights (or given `weights`)
 * to `outDir` as optimum exports it (ORTStableDiffusionXLImg2ImgPipeline): `text_encoder_2/` (OpenCLIP
 * bigG with its projection) and `tokenizer_2/` alone, the refiner's UNet (five `time_ids`), SDXL's VAE in float32;
 * `model_index.json` with `requires_aesthetics_score: true`, `force_zeros_for_empty_prompt: false`.
 *
 * @example
 * await buildSdxlRefinerFullSize("/models/sdxl-refiner-random-fp16", { dtype: "float16" });
 */
export async function buildSdxlRefinerFullSize(
  outDir: string,
  options: SdxlRefinerFullSizeOptions,
): Promise<{
  dir: string;
  parameters: Record<SdxlRefinerNetwork, number>;
  dataBytes: Record<SdxlRefinerNetwork, number>;
}> {
  checkFullSizeOptions(options);
  const dir = resolve(outDir);
  const counts = countSdxlRefinerParameters(options);
  return writeSdxlFamilyFolder(
    dir,
    SDXL_REFINER_NETWORKS,
    refinerNetworkBuilders(options, options.weights),
    counts,
    options,
    (staging) => writeSdxlRefinerConfigs(staging, options),
  );
}
