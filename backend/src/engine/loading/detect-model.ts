import type { Architecture, ModelFamily, ModelTraits } from "../types.ts";
import { type JsonObject, numberField, stringField } from "./model-files.ts";

/** What `detectModel` looks at: the folder's configs and the UNet session's inputs. */
export interface ModelFacts {
  modelIndex: JsonObject;
  schedulerConfig: JsonObject;
  unetConfig: JsonObject;
  textEncoderConfig: JsonObject;
  hasTextEncoder2: boolean;
  /** SDXL's refiner has no `text_encoder/`, only `text_encoder_2/`. */
  hasTextEncoder: boolean;
  /** The tokenizer pads with `<|endoftext|>` (SD 1.x) rather than `!` (SD 2.x). */
  tokenizerPadsWithEos: boolean;
  unet: {
    sampleChannels: number | undefined;
    hasAddedConditioning: boolean;
    takesTimestepCond: boolean;
    /** The width of `time_ids` when the export fixes it: 6 for SDXL base, 5 for the refiner. */
    timeIdCount?: number | undefined;
  };
}

const SD_SCALING_FACTOR = 0.18215;
/** diffusers' SDXL VAE config (`stabilityai/stable-diffusion-xl-base-1.0/vae/config.json`). */
const SDXL_SCALING_FACTOR = 0.13025;
const SD2_TEXT_WIDTH = 1024;
/** original size, crop, aesthetic score */
const REFINER_TIME_IDS = 5;

/**
 * The model's family from `model_index.json`, the configs and the UNet's inputs: SDXL has a second
 * text encoder and `text_embeds`/`time_ids`; SD 2.x pads prompts with `!` and has a 1024-wide text
 * encoder (v-prediction from the scheduler config); LCM takes `timestep_cond`; an inpainting UNet
 * takes 9 channels; Turbo is named so, or schedules `trailing` timesteps without being LCM. SDXL's
 * refiner says `requires_aesthetics_score`, has only the second text encoder, or a UNet whose
 * `time_ids` are five (diffusers' `StableDiffusionXLImg2ImgPipeline._get_add_time_ids`).
 */
export function detectModel(facts: ModelFacts): ModelTraits {
  const pipelineClass = stringField(facts.modelIndex, "_class_name") ?? "";
  const schedulerClass = stringField(facts.schedulerConfig, "_class_name") ?? "";
  const predictionType = stringField(facts.schedulerConfig, "prediction_type") ?? "epsilon";
  const crossAttentionDim = numberField(facts.unetConfig, "cross_attention_dim");
  const textWidth = numberField(facts.textEncoderConfig, "hidden_size");

  const architecture: Architecture =
    facts.hasTextEncoder2 || facts.unet.hasAddedConditioning || /XL/.test(pipelineClass)
      ? "sdxl"
      : !facts.tokenizerPadsWithEos ||
          predictionType === "v_prediction" ||
          textWidth === SD2_TEXT_WIDTH ||
          crossAttentionDim === SD2_TEXT_WIDTH
        ? "sd2"
        : "sd1";
  const refiner =
    architecture === "sdxl" &&
    (facts.modelIndex.requires_aesthetics_score === true ||
      (facts.hasTextEncoder2 && !facts.hasTextEncoder) ||
      facts.unet.timeIdCount === REFINER_TIME_IDS);
  const inChannels = facts.unet.sampleChannels ?? numberField(facts.unetConfig, "in_channels");
  const inpainting = inChannels === 9 || (inChannels === undefined && /Inpaint/i.test(pipelineClass));
  const names = [facts.modelIndex, facts.unetConfig, facts.schedulerConfig].map(
    (config) => stringField(config, "_name_or_path") ?? "",
  );
  const lcm =
    facts.unet.takesTimestepCond ||
    numberField(facts.unetConfig, "time_cond_proj_dim") !== undefined ||
    /LatentConsistency/i.test(pipelineClass) ||
    schedulerClass === "LCMScheduler";
  const turbo =
    !lcm &&
    (names.some((name) => /turbo/i.test(name)) ||
      stringField(facts.schedulerConfig, "timestep_spacing") === "trailing");
  const distillation = lcm ? "lcm" : turbo ? "turbo" : null;

  const sampleSize = numberField(facts.unetConfig, "sample_size");
  const defaultSide = architecture === "sdxl" ? 1024 : predictionType === "v_prediction" ? 768 : 512;
  const forceZeros = facts.modelIndex.force_zeros_for_empty_prompt;
  return {
    family: refiner ? "sdxl-refiner" : familyOf(architecture, predictionType, inpainting, distillation),
    architecture,
    predictionType,
    inpainting,
    distillation,
    defaultScheduler: lcm ? "lcm" : turbo ? "euler_a" : "euler",
    defaultScalingFactor: architecture === "sdxl" ? SDXL_SCALING_FACTOR : SD_SCALING_FACTOR,
    nativeSidePx: sampleSize === undefined ? defaultSide : sampleSize * 8,
    forceZerosForEmptyPrompt: architecture === "sdxl" && forceZeros !== false,
    refiner,
  };
}

function familyOf(
  architecture: Architecture,
  predictionType: string,
  inpainting: boolean,
  distillation: ModelTraits["distillation"],
): ModelFamily {
  const base = architecture === "sd1" ? "sd15" : architecture;
  if (inpainting) return `${base}-inpaint`;
  if (distillation !== null) return distillation;
  if (architecture === "sd2" && predictionType === "v_prediction") return "sd2-v";
  return base;
}
