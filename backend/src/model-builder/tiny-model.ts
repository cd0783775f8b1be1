import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { mergesTxt, trainClipBpe, vocabJson } from "./bpe-trainer.ts";
import { PROMPT_CORPUS } from "./corpus.ts";
import { buildTextEncoder, type TextEncoderShape } from "./text-encoder.ts";
import { buildUNet, type UNetShape } from "./unet.ts";
import { buildVaeDecoder, type VaeDecoderShape } from "./vae-decoder.ts";
import { WeightSource } from "./weights.ts";

/** Bump when the builder's output changes on purpose; folders built by another version are rebuilt. */
export const TINY_MODEL_BUILDER_VERSION = 1;
const WEIGHT_SEED = 20_240_601;
const VOCAB_SIZE = 1000;
const CONTEXT_LENGTH = 77;
const HIDDEN_SIZE = 32;
const SCALING_FACTOR = 0.18215;

const TEXT_ENCODER: TextEncoderShape = {
  vocabSize: VOCAB_SIZE,
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

/** SD 1.5's scheduler config, as diffusers writes it for EulerDiscreteScheduler. */
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

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

export interface TinyModelVariant {
  /** Declare `input_ids` as int64, as optimum's exports do. */
  int64InputIds?: boolean;
  /** Declare the UNet's timestep as int64 of shape [1], as some exports do. */
  int64TimestepOfOne?: boolean;
  /** Fix the UNet's batch dimension at 1, as some exports do. */
  unetBatchOfOne?: boolean;
}

/**
 * Every file of the tiny model, path → bytes, in a fixed order: a diffusers-style ONNX folder whose
 * sessions have SD 1.5's input and output names, dtypes and ranks, at a size that runs in milliseconds.
 * A variant declares its inputs as other exporters do, with the same weights (for the engine's tests).
 */
export function buildTinyModelFiles(variant: TinyModelVariant = {}): Map<string, Uint8Array> {
  const weights = new WeightSource(WEIGHT_SEED);
  const { vocab, merges } = trainClipBpe(PROMPT_CORPUS, VOCAB_SIZE);
  if (vocab.size !== VOCAB_SIZE)
    throw new Error(`tiny tokenizer has ${vocab.size} tokens, expected ${VOCAB_SIZE}`);
  const special = {
    bos_token: "<|startoftext|>",
    eos_token: "<|endoftext|>",
    pad_token: "<|endoftext|>",
    unk_token: "<|endoftext|>",
  };
  const text: Record<string, string> = {
    "model_index.json": json({
      _class_name: "OnnxStableDiffusionPipeline",
      _diffusers_version: "0.30.0",
      requires_safety_checker: false,
      safety_checker: [null, null],
      feature_extractor: [null, null],
      scheduler: ["diffusers", "EulerDiscreteScheduler"],
      text_encoder: ["diffusers", "OnnxRuntimeModel"],
      tokenizer: ["transformers", "CLIPTokenizer"],
      unet: ["diffusers", "OnnxRuntimeModel"],
      vae_decoder: ["diffusers", "OnnxRuntimeModel"],
    }),
    "scheduler/scheduler_config.json": json(SCHEDULER_CONFIG),
    "text_encoder/config.json": json({
      _class_name: "CLIPTextModel",
      hidden_size: HIDDEN_SIZE,
      intermediate_size: TEXT_ENCODER.mlpSize,
      num_attention_heads: TEXT_ENCODER.heads,
      num_hidden_layers: TEXT_ENCODER.layers,
      max_position_embeddings: CONTEXT_LENGTH,
      vocab_size: VOCAB_SIZE,
      hidden_act: "quick_gelu",
    }),
    "tokenizer/merges.txt": mergesTxt(merges),
    "tokenizer/special_tokens_map.json": json(special),
    "tokenizer/tokenizer_config.json": json({
      ...special,
      add_prefix_space: false,
      do_lower_case: true,
      errors: "replace",
      model_max_length: CONTEXT_LENGTH,
      tokenizer_class: "CLIPTokenizer",
    }),
    "tokenizer/vocab.json": vocabJson(vocab),
    "unet/config.json": json({
      _class_name: "UNet2DConditionModel",
      in_channels: UNET.latentChannels,
      out_channels: UNET.latentChannels,
      block_out_channels: UNET.channels,
      cross_attention_dim: UNET.contextDim,
      sample_size: 8,
    }),
    "vae_decoder/config.json": json({
      _class_name: "AutoencoderKL",
      latent_channels: VAE_DECODER.latentChannels,
      out_channels: 3,
      block_out_channels: VAE_DECODER.channels,
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
  files.set("text_encoder/model.onnx", buildTextEncoder(weights, textEncoder));
  files.set("unet/model.onnx", buildUNet(weights, unet));
  files.set("vae_decoder/model.onnx", buildVaeDecoder(weights, VAE_DECODER));
  return new Map([...files.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
}

export interface BuildInfo {
  builderVersion: number;
  /** SHA-256 over every file's path, length and bytes, in path order. */
  contentHash: string;
  files: Record<string, { bytes: number; sha256: string }>;
}

function buildInfoOf(files: ReadonlyMap<string, Uint8Array>): BuildInfo {
  const total = createHash("sha256");
  const listed: BuildInfo["files"] = {};
  for (const [path, bytes] of files) {
    total.update(`${path}\0${bytes.length}\0`).update(bytes);
    listed[path] = { bytes: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") };
  }
  return { builderVersion: TINY_MODEL_BUILDER_VERSION, contentHash: total.digest("hex"), files: listed };
}

export interface EnsureTinyModelResult {
  dir: string;
  /** False when an up-to-date folder was already there. */
  built: boolean;
  files: string[];
}

/**
 * Make sure `<cacheDir>/tiny` holds the current tiny model and return its path. A folder is reused when
 * its `build-info.json` has this builder's content hash and its files have the recorded sizes;
 * otherwise the model is written to a temporary folder and renamed into place, so concurrent
 * processes never see half a model.
 *
 * @example
 * const modelDir = await ensureTinyModel(".sdgate/models");
 * const pipeline = await loadPipeline(modelDir);
 */
export async function ensureTinyModel(cacheDir: string): Promise<string> {
  return (await ensureTinyModelDetailed(cacheDir)).dir;
}

/** `ensureTinyModel`, also saying whether it built and what it wrote. */
export async function ensureTinyModelDetailed(cacheDir: string): Promise<EnsureTinyModelResult> {
  const dir = join(cacheDir, "tiny");
  const files = buildTinyModelFiles();
  const info = buildInfoOf(files);
  const paths = [...files.keys()];
  if (await isCurrent(dir, info)) return { dir, built: false, files: paths };

  await mkdir(cacheDir, { recursive: true });
  const staging = join(cacheDir, `.tiny-${process.pid}-${randomBytes(4).toString("hex")}`);
  try {
    for (const [path, bytes] of files) {
      await mkdir(dirname(join(staging, path)), { recursive: true });
      await writeFile(join(staging, path), bytes);
    }
    // build-info.json last: a folder with it is complete.
    await writeFile(join(staging, "build-info.json"), json(info));
    await moveIntoPlace(staging, dir, info);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return { dir, built: true, files: [...paths, "build-info.json"] };
}

async function moveIntoPlace(staging: string, dir: string, info: BuildInfo): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await rename(staging, dir);
      return;
    } catch (error) {
      if (!isCode(error, "ENOTEMPTY") && !isCode(error, "EEXIST")) throw error;
    }
    // Another process may have just put a current model there; then ours is not needed.
    if (await isCurrent(dir, info)) return;
    const stale = `${dir}.stale-${process.pid}-${randomBytes(4).toString("hex")}`;
    try {
      await rename(dir, stale);
    } catch (error) {
      if (!isCode(error, "ENOENT")) throw error;
    }
    await rm(stale, { recursive: true, force: true });
  }
  throw new Error(`could not move the tiny model into ${dir}: it keeps being replaced`);
}

async function isCurrent(dir: string, expected: BuildInfo): Promise<boolean> {
  let found: BuildInfo;
  try {
    found = JSON.parse(await readFile(join(dir, "build-info.json"), "utf8")) as BuildInfo;
  } catch {
    return false;
  }
  if (found.builderVersion !== expected.builderVersion || found.contentHash !== expected.contentHash)
    return false;
  for (const [path, { bytes }] of Object.entries(expected.files)) {
    try {
      const content = await readFile(join(dir, path));
      if (content.length !== bytes) return false;
    } catch {
      return false;
    }
  }
  return true;
}

function isCode(error: unknown, code: string): boolean {
  return typeof error === "object" && error !== null && "code" in error && error.code === code;
}
