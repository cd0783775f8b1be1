import { json } from "./model-folder.ts";
import { SDXL_SCHEDULER } from "./scheduler-configs.ts";
import { ONNX_COMPONENT, vaeConfigFiles, writeTextFiles, writeTokenizer } from "./sd15-configs.ts";
import { sdxlTextEncoder, sdxlTextEncoder2, sdxlUNet, sdxlVae } from "./sdxl-architecture.ts";
import type { SdxlFullSizeOptions } from "./sdxl-full-size.ts";
import { SDXL_NATIVE_SIDE_PX, SDXL_SCALING_FACTOR } from "./sdxl-weights.ts";
import { TINY_FAMILY_SPECS } from "./tiny-families.ts";
import { textEncoderConfig, unetConfigJson } from "./tiny-variant.ts";

/**
 * The SDXL folder's JSON configs and two tokenizers, as optimum's ORTStableDiffusionXLPipeline writes
 * them: the second tokenizer pads with `!` (OpenCLIP's), and empty negative prompts become zeros.
 */
export function writeSdxlConfigs(dir: string, options: SdxlFullSizeOptions): void {
  const divisor = options.widthDivisor ?? 1;
  const component = ONNX_COMPONENT;
  writeTextFiles(dir, {
    "model_index.json": json({
      _class_name: TINY_FAMILY_SPECS.sdxl.pipelineClass.optimum,
      _diffusers_version: "0.30.0",
      force_zeros_for_empty_prompt: true,
      scheduler: ["diffusers", SDXL_SCHEDULER._class_name],
      text_encoder: component,
      text_encoder_2: component,
      tokenizer: ["transformers", "CLIPTokenizer"],
      tokenizer_2: ["transformers", "CLIPTokenizer"],
      unet: component,
      vae_decoder: component,
      vae_encoder: component,
    }),
    "scheduler/scheduler_config.json": json(SDXL_SCHEDULER),
    "text_encoder/config.json": json(textEncoderConfig(sdxlTextEncoder(divisor))),
    "text_encoder_2/config.json": json(textEncoderConfig(sdxlTextEncoder2(divisor))),
    "unet/config.json": json({ ...unetConfigJson(sdxlUNet(divisor)), sample_size: SDXL_NATIVE_SIDE_PX / 8 }),
    // force_upcast: diffusers decodes SDXL's VAE in float32 (it overflows in float16); so is it built.
    ...vaeConfigFiles(sdxlVae(divisor), {
      scalingFactor: SDXL_SCALING_FACTOR,
      sampleSizePx: SDXL_NATIVE_SIDE_PX,
      forceUpcast: true,
    }),
  });
  writeTokenizer(dir, "tokenizer", "<|endoftext|>", options.tokenizerDir);
  writeTokenizer(dir, "tokenizer_2", "!", options.tokenizerDir);
}
