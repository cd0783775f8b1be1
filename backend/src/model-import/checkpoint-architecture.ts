import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { SafetensorsFile } from "./safetensors.ts";
import { SDXL_REFINER_OPEN_CLIP_PREFIX } from "./sdxl-refiner-checkpoint.ts";
import { SDXL_CLIP_PREFIX, SDXL_OPEN_CLIP_PREFIX } from "./sdxl-single-file-checkpoint.ts";
import { UNET_PREFIX } from "./single-file-checkpoint.ts";

/** The models a checkpoint is imported as. */
export type CheckpointArchitecture = "sd15" | "sdxl" | "sdxl-refiner";

/**
 * Which model a single-file checkpoint holds, by its tensor names (the header alone is read): SDXL's
 * two text encoders (`conditioner.embedders.0.transformer.*`, `conditioner.embedders.1.model.*`), the
 * SDXL refiner's one (OpenCLIP bigG as `conditioner.embedders.0.model.*`, beside a four-level UNet,
 * `input_blocks.9` and up, which base's three levels lack, with `label_emb`) or SD 1.x's CLIP
 * (`cond_stage_model.transformer.*`). SD 2.x (OpenCLIP ViT-H as `cond_stage_model.model.*`) and files
 * that are no Stable Diffusion checkpoint are errors naming what was found.
 *
 * @example
 * detectCheckpointArchitecture("/models/sd_xl_base_1.0.safetensors") // "sdxl"
 * detectCheckpointArchitecture("/models/sd_xl_refiner_1.0.safetensors") // "sdxl-refiner"
 */
export function detectCheckpointArchitecture(path: string): CheckpointArchitecture {
  const file = SafetensorsFile.open(path);
  const names = file.names;
  file.close();
  const has = (prefix: string) => names.some((name) => name.startsWith(prefix));
  if (!has(UNET_PREFIX))
    throw new Error(`${path}: no ${UNET_PREFIX}* tensors, so not a single-file Stable Diffusion checkpoint`);
  if (has(SDXL_OPEN_CLIP_PREFIX) && has(SDXL_CLIP_PREFIX)) return "sdxl";
  if (has(SDXL_REFINER_OPEN_CLIP_PREFIX) && !has("conditioner.embedders.1.")) {
    // SD 2.x saved by generative-models keeps OpenCLIP ViT-H there too, with no label_emb
    if (has(`${UNET_PREFIX}input_blocks.9.`) && has(`${UNET_PREFIX}label_emb.`)) return "sdxl-refiner";
    throw new Error(
      `${path}: OpenCLIP alone as ${SDXL_REFINER_OPEN_CLIP_PREFIX}*, as the SDXL refiner has, but not its four-level UNet with a label_emb for the time ids (${UNET_PREFIX}input_blocks.9.*, label_emb.*)`,
    );
  }
  if (has("conditioner.embedders."))
    throw new Error(
      `${path}: conditioner.embedders.* without SDXL base's two text encoders or the refiner's OpenCLIP bigG alone, which is not imported`,
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

/**
 * Which model a diffusers folder holds: the SDXL refiner when its `model_index.json` says
 * `requires_aesthetics_score` (StableDiffusionXLImg2ImgPipeline's flag, set for the refiner alone) or
 * it has `text_encoder_2/` without `text_encoder/`; SDXL with both encoders; SD 1.5 otherwise.
 *
 * @example
 * detectDiffusersArchitecture("/models/stable-diffusion-xl-refiner-1.0") // "sdxl-refiner"
 */
export function detectDiffusersArchitecture(dir: string): CheckpointArchitecture {
  const flags = existsSync(join(dir, "model_index.json")) ? modelIndex(dir) : {};
  const secondEncoder = existsSync(join(dir, "text_encoder_2"));
  if (flags.requires_aesthetics_score === true || (secondEncoder && !existsSync(join(dir, "text_encoder"))))
    return "sdxl-refiner";
  return secondEncoder ? "sdxl" : "sd15";
}

function modelIndex(dir: string): { requires_aesthetics_score?: unknown } {
  const path = join(dir, "model_index.json");
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new Error(`${path}: not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}
