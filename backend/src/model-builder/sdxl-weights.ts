import type { Weights } from "./weights.ts";

/**
 * Issue 20's contract between the SDXL builder (sdxl-full-size.ts) and the importers
 * (model-import/import-sdxl.ts): real weights for SDXL base's four networks, each asked for by its
 * diffusers state-dict name (`text_encoder.text_model.encoder.layers.0.mlp.fc1.weight` without the
 * network prefix, as the SD 1.5 builders ask: see `TensorRequest`), whatever file they came from
 * (a diffusers folder, a single-file checkpoint's `conditioner.embedders.0/1.*`,
 * `model.diffusion_model.*`, `first_stage_model.*`), with LoRAs merged when asked.
 */
export interface SdxlWeights {
  /** CLIP ViT-L/14 (`CLIPTextModel`, 123,060,480 parameters). */
  readonly textEncoder: Weights;
  /** OpenCLIP ViT-bigG/14 as diffusers' `CLIPTextModelWithProjection` (694,659,840 parameters). */
  readonly textEncoder2: Weights;
  /** The UNet (2,567,463,684 parameters), with `add_embedding` for `text_embeds`/`time_ids`. */
  readonly unet: Weights;
  /** The VAE (83,653,863 parameters; SDXL's own weights, scaling factor 0.13025). */
  readonly vae: Weights;
}

/**
 * Real weights for the SDXL refiner's three networks (sdxl-refiner-full-size.ts): SDXL base's second
 * encoder and VAE, and its own four-level UNet, asked for by the same diffusers names.
 */
export type SdxlRefinerWeights = Pick<SdxlWeights, "textEncoder2" | "unet" | "vae">;

/** SDXL base's default size and the VAE's scaling factor. */
export const SDXL_NATIVE_SIDE_PX = 1024;
export const SDXL_SCALING_FACTOR = 0.13025;
