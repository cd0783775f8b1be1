/**
 * SDXL weights from a diffusers-format folder (`StableDiffusionXLPipeline.save_pretrained`, e.g. a
 * stable-diffusion-xl-base-1.0 download): `text_encoder/` (`CLIPTextModel`), `text_encoder_2/`
 * (`CLIPTextModelWithProjection`), `unet/` and `vae/`, each a safetensors file or its `.fp16` variant.
 */
import type { SdxlWeights } from "../model-builder/sdxl-weights.ts";
import {
  autoencoderKLNames,
  CheckpointWeights,
  clipTextModelNames,
  DIFFUSERS_WEIGHT_FILES,
  diffusersSources,
  mergeLoras,
  openDiffusersFiles,
} from "./checkpoint-weights.ts";
import type { LoraFile } from "./lora.ts";
import type { SafetensorsFile } from "./safetensors.ts";

/** The weight files of an SDXL diffusers folder, relative to it, without `.safetensors`. */
export const SDXL_DIFFUSERS_WEIGHT_FILES = [
  DIFFUSERS_WEIGHT_FILES.text_encoder,
  "text_encoder_2/model",
  DIFFUSERS_WEIGHT_FILES.unet,
  DIFFUSERS_WEIGHT_FILES.vae,
] as const;

/** Real weights for SDXL's four networks, from a diffusers folder or a single file. */
export interface SdxlCheckpoint extends SdxlWeights {
  /** `path: tensor` for every tensor no network has read (CLIP's `position_ids`, say). */
  unusedTensors(): string[];
  close(): void;
}

/**
 * The four networks of an SDXL diffusers folder as weight sources, with LoRAs merged into the UNet
 * and both text encoders. Close it when the build is done.
 *
 * @example
 * const checkpoint = openSdxlDiffusers("/models/stable-diffusion-xl-base-1.0", { preferFp16: true });
 * try { await buildSdxlFullSize(dir, { dtype: "float16", weights: checkpoint }); } finally { checkpoint.close(); }
 */
export function openSdxlDiffusers(
  dir: string,
  options: { preferFp16?: boolean; loras?: readonly LoraFile[] } = {},
): SdxlCheckpoint {
  const files = openDiffusersFiles(dir, SDXL_DIFFUSERS_WEIGHT_FILES, options.preferFp16 === true);
  const [textEncoder, textEncoder2, unet, vae] = files as [
    SafetensorsFile,
    SafetensorsFile,
    SafetensorsFile,
    SafetensorsFile,
  ];
  const loras = options.loras ?? [];
  const sources = {
    textEncoder: new CheckpointWeights(textEncoder, clipTextModelNames, mergeLoras(loras, "text_encoder")),
    textEncoder2: new CheckpointWeights(
      textEncoder2,
      clipTextModelNames,
      mergeLoras(loras, "text_encoder_2"),
    ),
    unet: new CheckpointWeights(unet, undefined, mergeLoras(loras, "unet")),
    vae: new CheckpointWeights(vae, autoencoderKLNames),
  };
  return diffusersSources(sources, files);
}
