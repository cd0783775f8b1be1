import type { AutoencoderKLConfig } from "./autoencoder-kl.ts";
import type { ControlNetConfig } from "./controlnet.ts";
import type { TextEncoderShape } from "./text-encoder.ts";
import type { UNet2DConditionConfig } from "./unet-2d-condition.ts";

/**
 * Stable Diffusion 1.5 at full size, from the config.json files of stable-diffusion-v1-5's
 * `text_encoder/`, `unet/` and `vae/` folders. A divisor scales every width down (the same code
 * path at a size that builds in milliseconds) while heads, groups and depth stay.
 */
export function sd15TextEncoder(widthDivisor = 1): TextEncoderShape {
  return {
    vocabSize: 49408,
    contextLength: 77,
    hiddenSize: 768 / widthDivisor,
    heads: 12,
    layers: 12,
    mlpSize: 3072 / widthDivisor,
    hiddenAct: "quick_gelu",
  };
}

export function sd15UNet(widthDivisor = 1): UNet2DConditionConfig {
  return {
    inChannels: 4,
    outChannels: 4,
    blockOutChannels: [320, 640, 1280, 1280].map((c) => c / widthDivisor),
    crossAttention: [true, true, true, false],
    layersPerBlock: 2,
    transformerLayersPerBlock: [1, 1, 1, 1],
    // SD 1.x's config says `attention_head_dim: 8`, which diffusers reads as 8 heads per level.
    attentionHeads: [8, 8, 8, 8],
    crossAttentionDim: 768 / widthDivisor,
    useLinearProjection: false,
    normNumGroups: groupsFor(widthDivisor),
  };
}

/**
 * lllyasviel's SD 1.5 ControlNets (`sd-controlnet-*`, `control_v11*_sd15_*` config.json): the UNet's
 * encoder, an RGB control image embedded through (16, 32, 96, 256) channels, which stay whatever the
 * divisor (they are small, and every ControlNet has them).
 */
export function sd15ControlNet(widthDivisor = 1): ControlNetConfig {
  return {
    unet: sd15UNet(widthDivisor),
    conditioningChannels: 3,
    conditioningEmbeddingChannels: [16, 32, 96, 256],
  };
}

export function sd15Vae(widthDivisor = 1): AutoencoderKLConfig {
  return {
    latentChannels: 4,
    blockOutChannels: [128, 256, 512, 512].map((c) => c / widthDivisor),
    layersPerBlock: 2,
    normNumGroups: groupsFor(widthDivisor),
  };
}

/** 32 groups at full width; fewer when scaled down, so every width still divides into groups. */
function groupsFor(widthDivisor: number): number {
  return widthDivisor === 1 ? 32 : 32 / Math.min(widthDivisor, 8);
}
