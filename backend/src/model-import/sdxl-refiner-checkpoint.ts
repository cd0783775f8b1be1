/**
 * SDXL refiner weights, from Stability's single file (sd_xl_refiner_1.0.safetensors: OpenCLIP bigG as
 * `conditioner.embedders.0.model.*`, the only embedder with a network, then `model.diffusion_model.*`
 * in ldm's four-level layout and `first_stage_model.*`) or a diffusers folder
 * (`StableDiffusionXLImg2ImgPipeline.save_pretrained`, e.g. stable-diffusion-xl-refiner-1.0:
 * `text_encoder_2/`, `unet/`, `vae/`, no `text_encoder/`). The names are SDXL base's, read by the same
 * functions; only the encoder's prefix and the UNet's layout differ (diffusers' single-file loader
 * reads the refiner's encoder from `conditioner.embedders.0.model.` too).
 */
import type { SdxlRefinerWeights } from "../model-builder/sdxl-weights.ts";
import {
  autoencoderKLNames,
  CheckpointWeights,
  clipTextModelNames,
  DIFFUSERS_WEIGHT_FILES,
  diffusersSources,
  openDiffusersFiles,
} from "./checkpoint-weights.ts";
import type { SafetensorsFile } from "./safetensors.ts";
import { openClipNames, prefixed } from "./sdxl-single-file-checkpoint.ts";
import {
  openSingleFile,
  originalUNetName,
  originalVaeNames,
  SDXL_REFINER_UNET_LAYOUT,
  UNET_PREFIX,
  unreadTensors,
} from "./single-file-checkpoint.ts";

export const SDXL_REFINER_OPEN_CLIP_PREFIX = "conditioner.embedders.0.model.";

/** The weight files of an SDXL refiner's diffusers folder, relative to it, without `.safetensors`. */
export const SDXL_REFINER_DIFFUSERS_WEIGHT_FILES = [
  "text_encoder_2/model",
  DIFFUSERS_WEIGHT_FILES.unet,
  DIFFUSERS_WEIGHT_FILES.vae,
] as const;

/** Real weights for the refiner's three networks, from a diffusers folder or a single file. */
export interface SdxlRefinerCheckpoint extends SdxlRefinerWeights {
  /** `path: tensor` for every tensor no network has read (open_clip's `logit_scale`, say). */
  unusedTensors(): string[];
  close(): void;
}

/**
 * The refiner's three networks from a single file in Stability's layout (fp32, fp16 or bf16). Its
 * `unusedTensors` are open_clip's `logit_scale`, an EMA copy or a part of another architecture.
 *
 * @example
 * const checkpoint = openSdxlRefinerSingleFile("/models/sd_xl_refiner_1.0.safetensors");
 * try { await buildSdxlRefinerFullSize(dir, { dtype: "float16", weights: checkpoint }); } finally { checkpoint.close(); }
 */
export function openSdxlRefinerSingleFile(path: string): SdxlRefinerCheckpoint {
  const file = openSingleFile(path);
  if (!file.names.some((name) => name.startsWith(SDXL_REFINER_OPEN_CLIP_PREFIX))) {
    file.close();
    throw new Error(
      `${path}: no ${SDXL_REFINER_OPEN_CLIP_PREFIX}* tensors (the refiner's OpenCLIP bigG encoder), so not an SDXL refiner checkpoint`,
    );
  }
  const sources = {
    textEncoder2: new CheckpointWeights(file, prefixed(SDXL_REFINER_OPEN_CLIP_PREFIX, openClipNames)),
    unet: new CheckpointWeights(
      file,
      prefixed(UNET_PREFIX, (name) => [originalUNetName(name, SDXL_REFINER_UNET_LAYOUT)]),
    ),
    vae: new CheckpointWeights(file, originalVaeNames),
  };
  return {
    ...sources,
    unusedTensors: () => unreadTensors(file, Object.values(sources)),
    close: () => file.close(),
  };
}

/**
 * The refiner's three networks from a diffusers folder, each a safetensors file or its `.fp16`
 * variant (tried first when `preferFp16`).
 *
 * @example
 * const checkpoint = openSdxlRefinerDiffusers("/models/stable-diffusion-xl-refiner-1.0", { preferFp16: true });
 */
export function openSdxlRefinerDiffusers(
  dir: string,
  options: { preferFp16?: boolean } = {},
): SdxlRefinerCheckpoint {
  const files = openDiffusersFiles(dir, SDXL_REFINER_DIFFUSERS_WEIGHT_FILES, options.preferFp16 === true);
  const [textEncoder2, unet, vae] = files as [SafetensorsFile, SafetensorsFile, SafetensorsFile];
  const sources = {
    textEncoder2: new CheckpointWeights(textEncoder2, clipTextModelNames),
    unet: new CheckpointWeights(unet),
    vae: new CheckpointWeights(vae, autoencoderKLNames),
  };
  return diffusersSources(sources, files);
}
