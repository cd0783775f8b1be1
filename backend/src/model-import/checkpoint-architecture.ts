import { SafetensorsFile } from "./safetensors.ts";
import { SDXL_OPEN_CLIP_PREFIX } from "./sdxl-single-file-checkpoint.ts";
import { UNET_PREFIX } from "./single-file-checkpoint.ts";

/** The models a single-file checkpoint is imported as. */
export type CheckpointArchitecture = "sd15" | "sdxl";

/**
 * Which model a single-file checkpoint holds, by its tensor names (the header alone is read): SDXL's
 * two text encoders (`conditioner.embedders.0.transformer.*`, `conditioner.embedders.1.model.*`) or SD
 * 1.x's CLIP (`cond_stage_model.transformer.*`). SD 2.x (OpenCLIP ViT-H as `cond_stage_model.model.*`),
 * an SDXL refiner (OpenCLIP bigG alone, as `conditioner.embedders.0.model.*`) and files
 * that are no Stable Diffusion checkpoint are errors naming what was found.
 *
 * @example
 * detectCheckpointArchitecture("/models/sd_xl_base_1.0.safetensors") // "sdxl"
 */
export function detectCheckpointArchitecture(path: string): CheckpointArchitecture {
  const file = SafetensorsFile.open(path);
  const names = file.names;
  file.close();
  const has = (prefix: string) => names.some((name) => name.startsWith(prefix));
  if (!has(UNET_PREFIX))
    throw new Error(`${path}: no ${UNET_PREFIX}* tensors, so not a single-file Stable Diffusion checkpoint`);
  if (has(SDXL_OPEN_CLIP_PREFIX) && has("conditioner.embedders.0.transformer.")) return "sdxl";
  if (has("conditioner.embedders."))
    throw new Error(
      `${path}: conditioner.embedders.* without SDXL base's two text encoders (an SDXL refiner has only OpenCLIP bigG, as embedders.0), which is not imported`,
    );
  if (has("cond_stage_model.model."))
    throw new Error(
      `${path}: an SD 2.x checkpoint (OpenCLIP ViT-H as cond_stage_model.model.*), which is not imported`,
    );
  if (has("cond_stage_model.transformer.")) return "sd15";
  throw new Error(
    `${path}: neither SD 1.x's text encoder (cond_stage_model.transformer.*) nor SDXL's (conditioner.embedders.*)`,
  );
}
