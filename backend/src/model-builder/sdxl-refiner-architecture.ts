import { sdxlTextEncoder2, sdxlVae } from "./sdxl-architecture.ts";
import type { UNet2DConditionConfig } from "./unet-2d-condition.ts";

/**
 * Stable Diffusion XL refiner 1.0's UNet, from stabilityai/stable-diffusion-xl-refiner-1.0's
 * `unet/config.json`: four levels of 384, 768, 1536, 1536 channels (DownBlock2D, two
 * CrossAttnDownBlock2D, DownBlock2D; the mid block attends with 4 transformer blocks too),
 * `transformer_layers_per_block: 4`, 64-wide heads (`attention_head_dim: [6, 12, 24, 24]`), linear
 * projections, conditioned on OpenCLIP bigG alone (`cross_attention_dim: 1280`), and the `text_time`
 * embedding over FIVE `time_ids` (original size, crop, aesthetic score: 1280 + 5 · 256 = 2560 =
 * `projection_class_embeddings_input_dim`). A divisor scales every width down; heads, depth and the
 * five ids stay.
 */
export function sdxlRefinerUNet(widthDivisor = 1): UNet2DConditionConfig {
  const pooledWidth = 1280 / widthDivisor;
  return {
    inChannels: 4,
    outChannels: 4,
    blockOutChannels: [384, 768, 1536, 1536].map((c) => c / widthDivisor),
    crossAttention: [false, true, true, false],
    layersPerBlock: 2,
    transformerLayersPerBlock: [4, 4, 4, 4],
    attentionHeads: [6, 12, 24, 24],
    crossAttentionDim: pooledWidth,
    useLinearProjection: true,
    normNumGroups: sdxlVae(widthDivisor).normNumGroups,
    addition: { timeEmbedDim: 256 / widthDivisor, textEmbedDim: pooledWidth, timeIds: 5 },
  };
}

/** The refiner's only text encoder: SDXL base's second one (OpenCLIP bigG with its projection). */
export const sdxlRefinerTextEncoder = sdxlTextEncoder2;
