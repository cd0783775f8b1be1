import type { AutoencoderKLConfig } from "./autoencoder-kl.ts";
import {
  LCM_SCHEDULER,
  SD2_V_SCHEDULER,
  SD15_SCHEDULER,
  SDXL_SCHEDULER,
  TURBO_SCHEDULER,
} from "./scheduler-configs.ts";
import type { TextEncoderShape } from "./text-encoder.ts";
import type { UNet2DConditionConfig } from "./unet-2d-condition.ts";

export type TinyFamily = "sd15" | "sd2-v" | "sdxl" | "lcm" | "turbo" | "sd15-inpaint" | "sdxl-refiner";
export type Exporter = "diffusers" | "optimum";
export const TINY_FAMILIES: readonly TinyFamily[] = [
  "sd15",
  "sd2-v",
  "sdxl",
  "lcm",
  "turbo",
  "sd15-inpaint",
  "sdxl-refiner",
];

export const TINY_VOCAB_SIZE = 1000;
const T = 77;

/** One tiny family: the real family's structure at widths that build and run in milliseconds. */
export interface TinyFamilySpec {
  textEncoder: TextEncoderShape;
  /** SDXL's second encoder (`CLIPTextModelWithProjection`), padded with `!`. */
  textEncoder2?: TextEncoderShape;
  /** The tokenizer's pad token: SD 1.x pads with end-of-text, SD 2.x with `!`. */
  padToken: "<|endoftext|>" | "!";
  unet: UNet2DConditionConfig;
  vae: AutoencoderKLConfig;
  vaeOutGain: number;
  scalingFactor: number;
  scheduler: Record<string, unknown>;
  /**
   * SDXL refiner: `textEncoder` is the only encoder and lives in `text_encoder_2/` (`tokenizer_2/`),
   * and model_index.json says `requires_aesthetics_score`.
   */
  refiner?: boolean;
  /** model_index.json's `_class_name` as each exporter writes it. */
  pipelineClass: Record<Exporter, string>;
}

const CLIP_L: TextEncoderShape = {
  vocabSize: TINY_VOCAB_SIZE,
  contextLength: T,
  hiddenSize: 32,
  heads: 2,
  layers: 2,
  mlpSize: 128,
  hiddenAct: "quick_gelu",
};
/** OpenCLIP-style (SD 2.x's ViT-H, SDXL's bigG): exact GELU, another width. */
const OPEN_CLIP: TextEncoderShape = { ...CLIP_L, hiddenSize: 48, heads: 2, mlpSize: 192, hiddenAct: "gelu" };

const TINY_VAE: AutoencoderKLConfig = {
  latentChannels: 4,
  blockOutChannels: [16, 16, 32, 32],
  layersPerBlock: 1,
  normNumGroups: 8,
};

/** SD 1.x's block kinds in two levels: CrossAttnDownBlock2D, DownBlock2D, mid, UpBlock2D, CrossAttnUpBlock2D. */
const SD15_UNET: UNet2DConditionConfig = {
  inChannels: 4,
  outChannels: 4,
  blockOutChannels: [32, 64],
  crossAttention: [true, false],
  layersPerBlock: 1,
  transformerLayersPerBlock: [1, 1],
  attentionHeads: [2, 2],
  crossAttentionDim: CLIP_L.hiddenSize,
  useLinearProjection: false,
  normNumGroups: 8,
};

const SD15: TinyFamilySpec = {
  textEncoder: CLIP_L,
  padToken: "<|endoftext|>",
  unet: SD15_UNET,
  vae: TINY_VAE,
  vaeOutGain: 0.7,
  scalingFactor: 0.18215,
  scheduler: SD15_SCHEDULER,
  pipelineClass: { diffusers: "OnnxStableDiffusionPipeline", optimum: "ORTStableDiffusionPipeline" },
};

/** SDXL: no attention at the top level, deeper transformers below, linear projections, two encoders. */
const SDXL: TinyFamilySpec = {
  textEncoder: CLIP_L,
  textEncoder2: { ...OPEN_CLIP, projectionDim: OPEN_CLIP.hiddenSize },
  padToken: "<|endoftext|>",
  unet: {
    ...SD15_UNET,
    crossAttention: [false, true],
    transformerLayersPerBlock: [1, 2],
    attentionHeads: [2, 4],
    crossAttentionDim: CLIP_L.hiddenSize + OPEN_CLIP.hiddenSize,
    useLinearProjection: true,
    addition: { timeEmbedDim: 8, textEmbedDim: OPEN_CLIP.hiddenSize },
  },
  vae: TINY_VAE,
  vaeOutGain: 0.7,
  scalingFactor: 0.13025,
  scheduler: SDXL_SCHEDULER,
  pipelineClass: { diffusers: "OnnxStableDiffusionXLPipeline", optimum: "ORTStableDiffusionXLPipeline" },
};

/**
 * SDXL refiner 1.0's structure: OpenCLIP alone (penultimate states as context, pooled projection as
 * `text_embeds`), a deeper UNet with a plain level on each side of the attention ones, and five
 * `time_ids` (size, crop, aesthetic score).
 */
const SDXL_REFINER: TinyFamilySpec = {
  textEncoder: { ...OPEN_CLIP, projectionDim: OPEN_CLIP.hiddenSize },
  padToken: "!",
  refiner: true,
  vae: TINY_VAE,
  vaeOutGain: SDXL.vaeOutGain,
  scalingFactor: SDXL.scalingFactor,
  scheduler: SDXL_SCHEDULER,
  unet: {
    ...SDXL.unet,
    blockOutChannels: [32, 48, 64],
    crossAttention: [false, true, false],
    transformerLayersPerBlock: [2, 2, 2],
    attentionHeads: [2, 3, 4],
    crossAttentionDim: OPEN_CLIP.hiddenSize,
    addition: { timeEmbedDim: 8, textEmbedDim: OPEN_CLIP.hiddenSize, timeIds: 5 },
  },
  pipelineClass: {
    diffusers: "OnnxStableDiffusionXLImg2ImgPipeline",
    optimum: "ORTStableDiffusionXLImg2ImgPipeline",
  },
};

export const TINY_FAMILY_SPECS: Record<TinyFamily, TinyFamilySpec> = {
  sd15: SD15,
  "sd2-v": {
    ...SD15,
    textEncoder: OPEN_CLIP,
    padToken: "!",
    unet: {
      ...SD15_UNET,
      crossAttentionDim: OPEN_CLIP.hiddenSize,
      useLinearProjection: true,
      attentionHeads: [2, 4],
    },
    scheduler: SD2_V_SCHEDULER,
  },
  sdxl: SDXL,
  // SimianLuo/LCM_Dreamshaper_v7: SD 1.5 with `time_cond_proj_dim: 256`.
  lcm: {
    ...SD15,
    unet: { ...SD15_UNET, timeCondProjDim: 256 },
    scheduler: LCM_SCHEDULER,
    pipelineClass: { diffusers: "OnnxStableDiffusionPipeline", optimum: "ORTLatentConsistencyModelPipeline" },
  },
  // stabilityai/sdxl-turbo: SDXL's architecture with Euler ancestral, trailing.
  turbo: { ...SDXL, scheduler: TURBO_SCHEDULER },
  // stable-diffusion-inpainting: conv_in takes latents (4) + mask (1) + masked-image latents (4).
  "sd15-inpaint": {
    ...SD15,
    unet: { ...SD15_UNET, inChannels: 9 },
    pipelineClass: {
      diffusers: "OnnxStableDiffusionInpaintPipeline",
      optimum: "ORTStableDiffusionInpaintPipeline",
    },
  },
  "sdxl-refiner": SDXL_REFINER,
};

/** SDXL was never exported by diffusers' script; its ONNX folders come from optimum. */
export function defaultExporter(family: TinyFamily): Exporter {
  return family === "sdxl" || family === "turbo" || family === "sdxl-refiner" ? "optimum" : "diffusers";
}
