import type { AutoencoderKLConfig } from "./autoencoder-kl.ts";
import { sd15TextEncoder, sd15Vae } from "./sd15-architecture.ts";
import type { TextEncoderShape } from "./text-encoder.ts";
import type { UNet2DConditionConfig } from "./unet-2d-condition.ts";

/**
 * Stable Diffusion XL base 1.0 at full size, from the config.json files of
 * stabilityai/stable-diffusion-xl-base-1.0's `text_encoder/`, `text_encoder_2/`, `unet/` and `vae/`
 * folders. A divisor scales every width down, as for SD 1.5 (sd15-architecture.ts): heads, groups,
 * depth and the six `time_ids` stay.
 */

/** CLIP ViT-L/14, the same encoder as SD 1.5's; SDXL reads its penultimate hidden state. */
export function sdxlTextEncoder(widthDivisor = 1): TextEncoderShape {
  return sd15TextEncoder(widthDivisor);
}

/**
 * OpenCLIP ViT-bigG/14 as transformers' `CLIPTextModelWithProjection`: exact GELU, and `text_embeds`,
 * the pooled state through a bias-free 1280 → 1280 `text_projection`.
 */
export function sdxlTextEncoder2(widthDivisor = 1): TextEncoderShape {
  return {
    // CLIP's tokenizer, vocabulary and 77 positions
    ...sd15TextEncoder(widthDivisor),
    hiddenSize: 1280 / widthDivisor,
    heads: 20,
    layers: 32,
    mlpSize: 5120 / widthDivisor,
    hiddenAct: "gelu",
    projectionDim: 1280 / widthDivisor,
  };
}

/**
 * SDXL's UNet: three levels (DownBlock2D, then two CrossAttnDownBlock2D), 1, 2 and 10 transformer
 * blocks per attention (the mid block and the up blocks mirror them), 64-wide heads (the config's
 * `attention_head_dim: [5, 10, 20]`, which diffusers reads as head counts), linear projections, and
 * the `text_time` added embedding: the pooled `text_embeds` beside a 256-wide sinusoid of each of the
 * six `time_ids` (1280 + 6 · 256 = 2816 = `projection_class_embeddings_input_dim`).
 */
export function sdxlUNet(widthDivisor = 1): UNet2DConditionConfig {
  const pooledWidth = 1280 / widthDivisor;
  return {
    inChannels: 4,
    outChannels: 4,
    blockOutChannels: [320, 640, 1280].map((c) => c / widthDivisor),
    crossAttention: [false, true, true],
    layersPerBlock: 2,
    transformerLayersPerBlock: [1, 2, 10],
    attentionHeads: [5, 10, 20],
    // the two encoders' penultimate states side by side: 768 + 1280
    crossAttentionDim: 2048 / widthDivisor,
    useLinearProjection: true,
    normNumGroups: sd15Vae(widthDivisor).normNumGroups,
    addition: { timeEmbedDim: 256 / widthDivisor, textEmbedDim: pooledWidth },
  };
}

/**
 * SDXL's VAE has SD 1.5's shape (its own weights, `scaling_factor` 0.13025, `force_upcast`: it
 * overflows in float16, so fp16 builds keep it in float32).
 */
export function sdxlVae(widthDivisor = 1): AutoencoderKLConfig {
  return sd15Vae(widthDivisor);
}
