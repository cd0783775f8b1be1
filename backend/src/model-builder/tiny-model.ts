import { join } from "node:path";
import { buildVaeEncoder } from "./autoencoder-kl.ts";
import { clipLoraModule, unetLoraModules } from "./lora-inputs.ts";
import { type BuildInfo, buildInfoOf, json, writeModelFolder } from "./model-folder.ts";
import { buildSafetyChecker, safetyCheckerConfig, TINY_SAFETY_CHECKER } from "./safety-checker.ts";
import { buildTextEncoder, type TextEncoderShape } from "./text-encoder.ts";
import {
  defaultExporter,
  type Exporter,
  TINY_FAMILIES,
  TINY_FAMILY_SPECS,
  TINY_VOCAB_SIZE,
  type TinyFamily,
} from "./tiny-families.ts";
import { buildTinyVariantFiles, type ResolvedTinyOptions } from "./tiny-variant.ts";
import { tinyTokenizerFiles } from "./tokenizer-files.ts";
import { buildUNet, type UNetShape } from "./unet.ts";
import { buildVaeDecoder, type VaeDecoderShape } from "./vae-decoder.ts";
import { WeightSource } from "./weights.ts";

export type { BuildInfo } from "./model-folder.ts";

/** Bump when the builder's output changes on purpose; folders built by another version are rebuilt. */
export const TINY_MODEL_BUILDER_VERSION = 4;
const WEIGHT_SEED = 20_240_601;
const CONTEXT_LENGTH = 77;
const HIDDEN_SIZE = 32;
const SCALING_FACTOR = 0.18215;

const TEXT_ENCODER: TextEncoderShape = {
  vocabSize: TINY_VOCAB_SIZE,
  contextLength: CONTEXT_LENGTH,
  hiddenSize: HIDDEN_SIZE,
  heads: 2,
  layers: 2,
  mlpSize: 128,
};
const UNET: UNetShape = {
  latentChannels: 4,
  channels: [32, 64],
  timeProjDim: 32,
  timeEmbedDim: 128,
  contextDim: HIDDEN_SIZE,
  heads: 2,
  groups: 8,
  outGain: 0.3,
  inputSkipGain: 1.2,
};
const VAE_DECODER: VaeDecoderShape = {
  latentChannels: 4,
  channels: [64, 32, 32, 16],
  groups: 8,
  outGain: 0.7,
};

/** The default tiny model's scheduler config, as diffusers writes it for EulerDiscreteScheduler. */
const SCHEDULER_CONFIG = {
  _class_name: "EulerDiscreteScheduler",
  beta_end: 0.012,
  beta_schedule: "scaled_linear",
  beta_start: 0.00085,
  interpolation_type: "linear",
  num_train_timesteps: 1000,
  prediction_type: "epsilon",
  steps_offset: 1,
  timestep_spacing: "leading",
  trained_betas: null,
  use_karras_sigmas: false,
};

/** `feature_extractor/preprocessor_config.json` as SD 1.5's export has it (CLIP's image processor). */
const CLIP_IMAGE_PROCESSOR_CONFIG = {
  crop_size: { height: 224, width: 224 },
  do_center_crop: true,
  do_convert_rgb: true,
  do_normalize: true,
  do_rescale: true,
  do_resize: true,
  image_mean: [0.48145466, 0.4578275, 0.40821073],
  image_processor_type: "CLIPImageProcessor",
  image_std: [0.26862954, 0.26130258, 0.27577711],
  resample: 3,
  rescale_factor: 1 / 255,
  size: { shortest_edge: 224 },
};

/** Input declarations of other exports, on the default tiny model's weights (for the engine's tests). */
export interface TinyModelVariant {
  /** Declare `input_ids` as int64, as optimum's exports do. */
  int64InputIds?: boolean;
  /** Declare the UNet's timestep as int64 of shape [1], as some exports do. */
  int64TimestepOfOne?: boolean;
  /** Fix the UNet's batch dimension at 1, as some exports do. */
  unetBatchOfOne?: boolean;
}

export type { Exporter, TinyFamily } from "./tiny-families.ts";
export { TINY_FAMILIES } from "./tiny-families.ts";

/** Which tiny model: the family it miniaturises, how it was exported, its dtype and weight storage. */
export interface TinyModelOptions {
  /** Default `sd15`. */
  family?: TinyFamily;
  /** Default `diffusers` (the conversion script), except `optimum` for `sdxl` and `turbo`. */
  exporter?: Exporter;
  /** Default `float32`; `float16` makes every float input, output and weight float16. */
  dtype?: "float32" | "float16";
  /** Weights in `model.onnx_data` beside each `model.onnx` (optimum's layout). Default false. */
  externalData?: boolean;
  /**
   * SD 1.5 and SDXL only: a UNet with the family's real block layout (twelve skips for SD 1.5, nine for
   * SDXL, so their ControlNets' residual counts) in `unet/`, and the same UNet taking a ControlNet's residuals in `cnet/` (onnx-web's layout), for
   * the ControlNets `ensureTinyControlNet` writes. Default false.
   */
  controlnet?: boolean;
  /**
   * LoRA adapter inputs on the UNet (both, with `controlnet`) and the text encoder (see
   * lora-inputs.ts), so requests can apply LoRAs: the default tiny model's in `tiny-lora-inputs`, the
   * ControlNet one's in `tiny-sd15-diffusers-fp32-controlnet-lora-inputs`. Default false.
   */
  loraInputs?: boolean;
}

/** Fill in the defaults and refuse combinations no exporter writes. */
export function resolveTinyOptions(options: TinyModelOptions = {}): ResolvedTinyOptions {
  const family = options.family ?? "sd15";
  if (!TINY_FAMILIES.includes(family))
    throw new Error(
      `options.family: unknown family ${JSON.stringify(family)} (one of ${TINY_FAMILIES.join(", ")})`,
    );
  const exporter = options.exporter ?? defaultExporter(family);
  if (exporter !== "diffusers" && exporter !== "optimum")
    throw new Error(`options.exporter: ${JSON.stringify(exporter)} is not "diffusers" or "optimum"`);
  const spec = TINY_FAMILY_SPECS[family];
  if (exporter === "diffusers" && (spec.textEncoder2 !== undefined || spec.refiner === true))
    throw new Error(
      `options.exporter: diffusers' conversion script does not export ${family}; use "optimum"`,
    );
  const dtype = options.dtype ?? "float32";
  if (dtype !== "float32" && dtype !== "float16")
    throw new Error(`options.dtype: ${JSON.stringify(dtype)} is not "float32" or "float16"`);
  const controlnet = options.controlnet ?? false;
  if (controlnet && family !== "sd15" && family !== "sdxl")
    throw new Error(
      `options.controlnet: tiny ControlNets are SD 1.5's and SDXL's; family is ${JSON.stringify(family)}`,
    );
  const externalData = options.externalData ?? false;
  const loraInputs = options.loraInputs ?? false;
  const resolved = { family, exporter, dtype, externalData, controlnet, loraInputs };
  // the default model's and the ControlNet one's adapter inputs are what LoRA tests and the local stack use
  if (loraInputs && !(isDefault(resolved) || (controlnet && exporter === "diffusers" && dtype === "float32")))
    throw new Error(
      "options.loraInputs: LoRA inputs are built into the default tiny model and the float32 ControlNet one only",
    );
  return resolved;
}

/**
 * The folder a tiny model lives in under the cache: `tiny` for the default (SD 1.5, diffusers'
 * script, float32, inline weights), otherwise
 * `tiny-<family>-<exporter>-<fp32|fp16>[-external][-controlnet]`, e.g. `tiny-sdxl-optimum-fp16`.
 */
export function tinyModelFolderName(options: TinyModelOptions = {}): string {
  const resolved = resolveTinyOptions(options);
  if (isDefault(resolved)) return options.loraInputs === true ? "tiny-lora-inputs" : "tiny";
  const dtype = resolved.dtype === "float16" ? "fp16" : "fp32";
  const external = resolved.externalData ? "-external" : "";
  const controlnet = resolved.controlnet ? "-controlnet" : "";
  return `tiny-${resolved.family}-${resolved.exporter}-${dtype}${external}${controlnet}${resolved.loraInputs ? "-lora-inputs" : ""}`;
}

function isDefault(options: ResolvedTinyOptions): boolean {
  return (
    options.family === "sd15" &&
    options.exporter === "diffusers" &&
    options.dtype === "float32" &&
    !options.externalData &&
    !options.controlnet
  );
}

/**
 * Every file of a tiny model, path → bytes, in a fixed order: a diffusers-style ONNX folder whose
 * sessions have the real exports' input and output names, dtypes and ranks, at a size that runs in
 * milliseconds. The default is the original tiny SD 1.5 model; `TinyModelVariant` switches redeclare
 * its inputs as other exporters do, with the same weights.
 */
export function buildTinyModelFiles(
  options: TinyModelOptions & TinyModelVariant = {},
): Map<string, Uint8Array> {
  const resolved = resolveTinyOptions(options);
  const variant: TinyModelVariant = {
    ...(options.int64InputIds === undefined ? {} : { int64InputIds: options.int64InputIds }),
    ...(options.int64TimestepOfOne === undefined ? {} : { int64TimestepOfOne: options.int64TimestepOfOne }),
    ...(options.unetBatchOfOne === undefined ? {} : { unetBatchOfOne: options.unetBatchOfOne }),
  };
  if (isDefault(resolved)) return buildDefaultTinyFiles(variant, resolved.loraInputs);
  if (Object.values(variant).some(Boolean))
    throw new Error(
      "int64InputIds, int64TimestepOfOne and unetBatchOfOne apply to the default tiny model only",
    );
  return buildTinyVariantFiles(resolved);
}

function buildDefaultTinyFiles(variant: TinyModelVariant, loraInputs: boolean): Map<string, Uint8Array> {
  const weights = new WeightSource(WEIGHT_SEED);
  const vae = TINY_FAMILY_SPECS.sd15.vae;
  const text: Record<string, string> = {
    "model_index.json": json({
      _class_name: "OnnxStableDiffusionPipeline",
      _diffusers_version: "0.30.0",
      requires_safety_checker: true,
      safety_checker: ["diffusers", "OnnxRuntimeModel"],
      feature_extractor: ["transformers", "CLIPImageProcessor"],
      scheduler: ["diffusers", "EulerDiscreteScheduler"],
      text_encoder: ["diffusers", "OnnxRuntimeModel"],
      tokenizer: ["transformers", "CLIPTokenizer"],
      unet: ["diffusers", "OnnxRuntimeModel"],
      vae_decoder: ["diffusers", "OnnxRuntimeModel"],
      vae_encoder: ["diffusers", "OnnxRuntimeModel"],
    }),
    "scheduler/scheduler_config.json": json(SCHEDULER_CONFIG),
    "feature_extractor/preprocessor_config.json": json(CLIP_IMAGE_PROCESSOR_CONFIG),
    "safety_checker/config.json": json(safetyCheckerConfig(TINY_SAFETY_CHECKER)),
    "text_encoder/config.json": json({
      _class_name: "CLIPTextModel",
      hidden_size: HIDDEN_SIZE,
      intermediate_size: TEXT_ENCODER.mlpSize,
      num_attention_heads: TEXT_ENCODER.heads,
      num_hidden_layers: TEXT_ENCODER.layers,
      max_position_embeddings: CONTEXT_LENGTH,
      vocab_size: TINY_VOCAB_SIZE,
      hidden_act: "quick_gelu",
    }),
    ...tinyTokenizerFiles("tokenizer", TINY_VOCAB_SIZE, CONTEXT_LENGTH, "<|endoftext|>"),
    "unet/config.json": json({
      _class_name: "UNet2DConditionModel",
      in_channels: UNET.latentChannels,
      out_channels: UNET.latentChannels,
      block_out_channels: UNET.channels,
      cross_attention_dim: UNET.contextDim,
      // 256 px native, the catalog's default size for `tiny`; the engine allows up to 4× native.
      sample_size: 32,
    }),
    "vae_decoder/config.json": json({
      _class_name: "AutoencoderKL",
      latent_channels: VAE_DECODER.latentChannels,
      out_channels: 3,
      block_out_channels: VAE_DECODER.channels,
      scaling_factor: SCALING_FACTOR,
    }),
    "vae_encoder/config.json": json({
      _class_name: "AutoencoderKL",
      in_channels: 3,
      latent_channels: vae.latentChannels,
      block_out_channels: vae.blockOutChannels,
      scaling_factor: SCALING_FACTOR,
    }),
  };
  const files = new Map<string, Uint8Array>();
  for (const [path, content] of Object.entries(text)) files.set(path, new TextEncoder().encode(content));
  const textEncoder: TextEncoderShape = {
    ...TEXT_ENCODER,
    ...(variant.int64InputIds ? { idsType: "int64" } : {}),
  };
  const unet: UNetShape = {
    ...UNET,
    ...(variant.int64TimestepOfOne ? { timestep: { type: "int64", dims: [1] } } : {}),
    ...(variant.unetBatchOfOne ? { batch: 1 } : {}),
  };
  files.set(
    "text_encoder/model.onnx",
    buildTextEncoder(weights, textEncoder, loraInputs ? { loraModule: clipLoraModule } : {}),
  );
  // LoCon too: the tiny model costs nothing either way, and tests apply every kind of adapter
  const loraModule = unetLoraModules("locon");
  files.set("unet/model.onnx", buildUNet(weights, unet, loraInputs ? { loraModule } : {}));
  files.set("vae_decoder/model.onnx", buildVaeDecoder(weights, VAE_DECODER));
  files.set(
    "safety_checker/model.onnx",
    buildSafetyChecker(new WeightSource(WEIGHT_SEED + 5), TINY_SAFETY_CHECKER),
  );
  files.set(
    "vae_encoder/model.onnx",
    buildVaeEncoder(new WeightSource(WEIGHT_SEED + 4), vae, "latent_sample"),
  );
  return new Map([...files.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
}

export interface EnsureTinyModelResult {
  dir: string;
  /** False when an up-to-date folder was already there. */
  built: boolean;
  files: string[];
}

/**
 * Make sure `<cacheDir>/<tinyModelFolderName(options)>` holds the current tiny model and return its
 * path (`<cacheDir>/tiny` by default). A folder is reused when its `build-info.json` has this
 * builder's content hash and its files have the recorded sizes; otherwise the model is written to a
 * temporary folder and renamed into place, so concurrent processes never see half a model.
 *
 * @example
 * const modelDir = await ensureTinyModel(".sdgate/models");
 * const xl = await ensureTinyModel(".sdgate/models", { family: "sdxl", dtype: "float16" });
 * const pipeline = await loadPipeline(modelDir);
 */
export async function ensureTinyModel(cacheDir: string, options: TinyModelOptions = {}): Promise<string> {
  return (await ensureTinyModelDetailed(cacheDir, options)).dir;
}

/** `ensureTinyModel`, also saying whether it built and what it wrote. */
export async function ensureTinyModelDetailed(
  cacheDir: string,
  options: TinyModelOptions = {},
): Promise<EnsureTinyModelResult> {
  const dir = join(cacheDir, tinyModelFolderName(options));
  const files = buildTinyModelFiles(options);
  const info: BuildInfo = buildInfoOf(files, TINY_MODEL_BUILDER_VERSION);
  const paths = [...files.keys()];
  const built = await writeModelFolder(dir, files, info);
  return { dir, built, files: built ? [...paths, "build-info.json"] : paths };
}
