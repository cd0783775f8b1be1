import { json } from "./model-folder.ts";
import { SDXL_SCHEDULER } from "./scheduler-configs.ts";
import { ONNX_COMPONENT, vaeConfigFiles, writeTextFiles, writeTokenizer } from "./sd15-configs.ts";
import { sdxlTextEncoder, sdxlTextEncoder2, sdxlUNet, sdxlVae } from "./sdxl-architecture.ts";
import type { SdxlFullSizeOptions } from "./sdxl-full-size.ts";
import { sdxlRefinerUNet } from "./sdxl-refiner-architecture.ts";
import { SDXL_NATIVE_SIDE_PX, SDXL_SCALING_FACTOR } from "./sdxl-weights.ts";
import { TINY_FAMILY_SPECS } from "./tiny-families.ts";
import { textEncoderConfig, unetConfigJson } from "./tiny-variant.ts";

type ConfigOptions = Pick<SdxlFullSizeOptions, "widthDivisor" | "tokenizerDir">;

/**
 * The SDXL folder's JSON configs and two tokenizers, as optimum's ORTStableDiffusionXLPipeline writes
 * them: the second tokenizer pads with `!` (OpenCLIP's), and empty negative prompts become zeros.
 */
export function writeSdxlConfigs(dir: string, options: SdxlFullSizeOptions): void {
  const divisor = options.widthDivisor ?? 1;
  writeSdxlFolderConfigs(dir, options, "sdxl", { force_zeros_for_empty_prompt: true });
  writeTextFiles(dir, { "text_encoder/config.json": json(textEncoderConfig(sdxlTextEncoder(divisor))) });
  writeTokenizer(dir, "tokenizer", "<|endoftext|>", options.tokenizerDir);
}

/**
 * The SDXL refiner folder's configs, as optimum's ORTStableDiffusionXLImg2ImgPipeline writes them
 * for stabilityai/stable-diffusion-xl-refiner-1.0: `text_encoder_2/` and `tokenizer_2/` alone,
 * `requires_aesthetics_score`, and no zeroed negative prompt.
 */
export function writeSdxlRefinerConfigs(dir: string, options: ConfigOptions): void {
  writeSdxlFolderConfigs(dir, options, "sdxl-refiner", {
    force_zeros_for_empty_prompt: false,
    requires_aesthetics_score: true,
  });
}

/** What base and refiner folders share: the second encoder and tokenizer, scheduler, UNet and VAE configs. */
function writeSdxlFolderConfigs(
  dir: string,
  options: ConfigOptions,
  model: "sdxl" | "sdxl-refiner",
  flags: Record<string, boolean>,
): void {
  const divisor = options.widthDivisor ?? 1;
  const component = ONNX_COMPONENT;
  const refiner = model === "sdxl-refiner";
  const unet = refiner ? sdxlRefinerUNet(divisor) : sdxlUNet(divisor);
  writeTextFiles(dir, {
    "model_index.json": json({
      _class_name: TINY_FAMILY_SPECS[model].pipelineClass.optimum,
      _diffusers_version: "0.30.0",
      ...flags,
      scheduler: ["diffusers", SDXL_SCHEDULER._class_name],
      ...(refiner ? {} : { text_encoder: component }),
      text_encoder_2: component,
      ...(refiner ? {} : { tokenizer: ["transformers", "CLIPTokenizer"] }),
      tokenizer_2: ["transformers", "CLIPTokenizer"],
      unet: component,
      vae_decoder: component,
      vae_encoder: component,
    }),
    "scheduler/scheduler_config.json": json(SDXL_SCHEDULER),
    "text_encoder_2/config.json": json(textEncoderConfig(sdxlTextEncoder2(divisor))),
    "unet/config.json": json({ ...unetConfigJson(unet), sample_size: SDXL_NATIVE_SIDE_PX / 8 }),
    // force_upcast: diffusers decodes SDXL's VAE in float32 (it overflows in float16); so is it built.
    ...vaeConfigFiles(sdxlVae(divisor), {
      scalingFactor: SDXL_SCALING_FACTOR,
      sampleSizePx: SDXL_NATIVE_SIDE_PX,
      forceUpcast: true,
    }),
  });
  writeTokenizer(dir, "tokenizer_2", "!", options.tokenizerDir);
}
