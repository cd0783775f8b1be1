import { randomBytes } from "node:crypto";
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, writeFileSync, writeSync } from "node:fs";
import { rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { buildVaeDecoderKL, buildVaeEncoder } from "./autoencoder-kl.ts";
import { DiffusersCheckpoint } from "./checkpoint-weights.ts";
import type { GraphOptions } from "./graph.ts";
import { LoraFile } from "./lora.ts";
import { json, moveIntoPlace } from "./model-folder.ts";
import { OPERATOR_SETS, type OperatorSet } from "./nn.ts";
import { EXTERNAL_DATA_FILE } from "./onnx-files.ts";
import { SD15_SCHEDULER } from "./scheduler-configs.ts";
import { sd15TextEncoder, sd15UNet, sd15Vae } from "./sd15-architecture.ts";
import { SingleFileCheckpoint } from "./single-file-checkpoint.ts";
import { CountingSink, ExternalDataSink, type TensorRecord, type TensorSink } from "./tensor-sink.ts";
import { buildTextEncoder } from "./text-encoder.ts";
import { type Exporter, TINY_VOCAB_SIZE } from "./tiny-families.ts";
import { unetConfigJson } from "./tiny-variant.ts";
import { tinyTokenizerFiles } from "./tokenizer-files.ts";
import { buildUNet2DCondition } from "./unet-2d-condition.ts";
import { WeightSource, type Weights } from "./weights.ts";

export type FullSizeNetwork = "text_encoder" | "unet" | "vae_encoder" | "vae_decoder";
export const FULL_SIZE_NETWORKS: readonly FullSizeNetwork[] = [
  "text_encoder",
  "unet",
  "vae_encoder",
  "vae_decoder",
];

export interface FullSizeOptions {
  dtype: "float32" | "float16";
  /** Input declarations as diffusers' script (default) or optimum writes them. */
  exporter?: Exporter;
  /**
   * A folder with CLIP's `vocab.json` and `merges.txt` (e.g. `../shared/data/clip`), copied to
   * `tokenizer/`; without it the tiny models' 1,000-token BPE stands in.
   */
  tokenizerDir?: string;
  /** Weight seed (default 1234). */
  seed?: number;
  /**
   * A diffusers-format SD 1.5 folder (`unet/`, `text_encoder/`, `vae/` safetensors, see
   * `DiffusersCheckpoint`; a float16 build reads the `.fp16.safetensors` variants first) whose
   * weights replace the random ones; its `tokenizer/` is used when `tokenizerDir` is not given and it
   * has `vocab.json` and `merges.txt`.
   */
  fromDiffusers?: string;
  /**
   * A single-file SD 1.5 checkpoint (`.safetensors` in the original layout, as A1111 and most shared
   * fine-tunes come; see `SingleFileCheckpoint`) whose weights replace the random ones. It carries no
   * tokenizer, so `tokenizerDir` is required with it.
   */
  fromCheckpoint?: string;
  /**
   * LoRA adapters (`.safetensors`, kohya's or PEFT's layout; see `LoraFile`) merged into the
   * checkpoint's UNet and text encoder, in order, each at its scale. Needs `fromDiffusers` or
   * `fromCheckpoint`.
   */
  loras?: readonly { path: string; scale: number }[];
  /**
   * Standard ONNX operators (default), or onnxruntime's fused contrib operators for its CUDA provider
   * (see `OperatorSet`; several of them have no CPU kernel).
   */
  operators?: OperatorSet;
  /** Divide every width by this (8 builds the same graphs at 1/64 of the parameters); default 1. */
  widthDivisor?: number;
  /** Called as weights are written, with bytes of parameters done and in all. */
  onProgress?: (progress: FullSizeProgress) => void;
}

export interface FullSizeProgress {
  network: FullSizeNetwork;
  bytesDone: number;
  bytesTotal: number;
}

export interface FullSizeResult {
  dir: string;
  parameters: Record<FullSizeNetwork, number>;
  /** Bytes of each network's `model.onnx_data`. */
  dataBytes: Record<FullSizeNetwork, number>;
  /**
   * With `fromDiffusers` or `fromCheckpoint`: `file: tensor` for checkpoint tensors no network used
   * (CLIP's `position_ids`; a single file's EMA copy and noise schedule).
   */
  unusedCheckpointTensors: string[];
  /** `file: adapter` for LoRA adapters that matched no weight (a LoRA for another architecture). */
  unmatchedLoraAdapters: string[];
  /** The folder the tokenizer's `vocab.json` and `merges.txt` came from; undefined for the stand-in. */
  tokenizerDir: string | undefined;
}

const SCALING_FACTOR = 0.18215;
const CONTEXT_LENGTH = 77;

type NetworkBuilder = (graph: GraphOptions) => Uint8Array;

/** Real weights for the three networks, from a diffusers folder or a single file. */
interface Sd15Checkpoint {
  readonly textEncoder: Weights;
  readonly unet: Weights;
  readonly vae: Weights;
  /** The UNet's input channels as its `conv_in` has them: 9 for an inpainting model, else 4. */
  readonly unetInChannels: number;
  unusedTensors(): string[];
  close(): void;
}

function openCheckpoint(options: FullSizeOptions, loras: readonly LoraFile[]): Sd15Checkpoint | undefined {
  if (options.fromDiffusers !== undefined && options.fromCheckpoint !== undefined)
    throw new Error("options.fromDiffusers and options.fromCheckpoint: give one source of weights, not both");
  if (options.fromCheckpoint !== undefined) {
    if (options.tokenizerDir === undefined)
      throw new Error(
        "options.fromCheckpoint: a single-file checkpoint has no tokenizer; give tokenizerDir (CLIP's vocab.json and merges.txt)",
      );
    return SingleFileCheckpoint.open(options.fromCheckpoint, { loras });
  }
  if (options.fromDiffusers !== undefined)
    return DiffusersCheckpoint.open(options.fromDiffusers, {
      preferFp16: options.dtype === "float16",
      loras,
    });
  if (loras.length > 0)
    throw new Error(
      "options.loras: a LoRA is merged into a checkpoint; give fromDiffusers or fromCheckpoint",
    );
  return undefined;
}

/** The LoRA files of `options`, opened; none stays open when one fails. */
function openLoras(options: FullSizeOptions): LoraFile[] {
  const opened: LoraFile[] = [];
  try {
    for (const { path, scale } of options.loras ?? []) opened.push(LoraFile.open(path, scale));
  } catch (error) {
    for (const lora of opened) lora.close();
    throw error;
  }
  return opened;
}

/**
 * The four networks of SD 1.5 as builders over a graph's options (sink, float type), with seeded
 * random weights or the checkpoint's.
 */
function networks(
  options: FullSizeOptions,
  checkpoint?: Sd15Checkpoint,
): Record<FullSizeNetwork, NetworkBuilder> {
  const divisor = options.widthDivisor ?? 1;
  const optimum = options.exporter === "optimum";
  const seed = options.seed ?? 1234;
  const weights = (offset: number, real: Weights | undefined): Weights =>
    real ?? new WeightSource(seed + offset);
  const operators = options.operators ?? "standard";
  return {
    text_encoder: (g) =>
      buildTextEncoder(
        weights(1, checkpoint?.textEncoder),
        {
          ...sd15TextEncoder(divisor),
          idsType: optimum ? "int64" : "int32",
          // every layer's states, as optimum's export has them, so requests can use clip skip
          outputHiddenStates: true,
          operators,
        },
        g,
      ),
    unet: (g) =>
      buildUNet2DCondition(
        weights(3, checkpoint?.unet),
        { ...sd15UNet(divisor), inChannels: checkpoint?.unetInChannels ?? 4 },
        {
          timestep: optimum ? { type: "int64", dims: [1] } : { type: "float", dims: ["batch"] },
          operators,
        },
        g,
      ),
    vae_encoder: (g) =>
      buildVaeEncoder(
        weights(4, checkpoint?.vae),
        sd15Vae(divisor),
        optimum ? "latent_parameters" : "latent_sample",
        g,
        {
          operators,
        },
      ),
    vae_decoder: (g) => buildVaeDecoderKL(weights(5, checkpoint?.vae), sd15Vae(divisor), { operators }, g),
  };
}

/**
 * Each network's parameter count and bytes, from graphs built with a counting sink: no weight is
 * made, so this takes milliseconds at full size.
 */
export function countSd15Parameters(
  options: Pick<FullSizeOptions, "dtype" | "widthDivisor" | "exporter" | "operators">,
): Record<FullSizeNetwork, { parameters: number; bytes: number; tensors: number }> {
  const builders = networks(options);
  const floatType = options.dtype === "float16" ? "float16" : "float";
  const counts = {} as Record<FullSizeNetwork, { parameters: number; bytes: number; tensors: number }>;
  for (const network of FULL_SIZE_NETWORKS) {
    const sink = new CountingSink();
    builders[network]({ floatType, sink });
    counts[network] = {
      parameters: sink.parameters,
      bytes: sink.parameterBytes,
      tensors: sink.parameterTensors,
    };
  }
  return counts;
}

/**
 * Write Stable Diffusion 1.5's full architecture with seeded random weights (or a checkpoint's:
 * `fromDiffusers`, `fromCheckpoint`) to `outDir`, as an ONNX
 * export folder: CLIP ViT-L/14 text encoder (123,060,480 parameters), the 859,520,964-parameter UNet,
 * the VAE encoder and decoder, each `model.onnx` with its weights in `model.onnx_data`. Weights are
 * made and written one tensor at a time, never all in memory. The folder appears whole or not at all.
 *
 * @example
 * await buildSd15FullSize("/models/sd15-random-fp16", { dtype: "float16", tokenizerDir: "../shared/data/clip" });
 */
export async function buildSd15FullSize(outDir: string, options: FullSizeOptions): Promise<FullSizeResult> {
  if (options.dtype !== "float32" && options.dtype !== "float16")
    throw new Error(`options.dtype: ${JSON.stringify(options.dtype)} is not "float32" or "float16"`);
  if (options.operators !== undefined && !OPERATOR_SETS.includes(options.operators))
    throw new Error(`options.operators: ${JSON.stringify(options.operators)} is not "standard" or "fused"`);
  const dir = resolve(outDir);
  if (options.tokenizerDir !== undefined) {
    for (const file of ["vocab.json", "merges.txt"])
      if (!existsSync(join(options.tokenizerDir, file)))
        throw new Error(`options.tokenizerDir: ${options.tokenizerDir} has no ${file}`);
  }
  const checkpointTokenizer =
    options.fromDiffusers === undefined ? undefined : join(options.fromDiffusers, "tokenizer");
  const tokenizerDir =
    options.tokenizerDir ??
    (checkpointTokenizer !== undefined &&
    ["vocab.json", "merges.txt"].every((file) => existsSync(join(checkpointTokenizer, file)))
      ? checkpointTokenizer
      : undefined);
  const staging = join(
    dirname(dir),
    `.${dir.split(/[\\/]/).pop()}-${process.pid}-${randomBytes(4).toString("hex")}`,
  );
  const floatType = options.dtype === "float16" ? "float16" : "float";
  const counts = countSd15Parameters(options);
  const bytesTotal = FULL_SIZE_NETWORKS.reduce((sum, n) => sum + counts[n].bytes, 0);
  let bytesDone = 0;
  const loras = openLoras(options);
  let checkpoint: Sd15Checkpoint | undefined;
  try {
    checkpoint = openCheckpoint(options, loras);
  } catch (error) {
    for (const lora of loras) lora.close();
    throw error;
  }
  const builders = networks(options, checkpoint);
  const parameters = {} as Record<FullSizeNetwork, number>;
  const dataBytes = {} as Record<FullSizeNetwork, number>;
  let unusedCheckpointTensors: string[] = [];
  let unmatchedLoraAdapters: string[] = [];
  try {
    for (const network of FULL_SIZE_NETWORKS) {
      mkdirSync(join(staging, network), { recursive: true });
      const fd = openSync(join(staging, network, EXTERNAL_DATA_FILE), "w");
      try {
        const external = new ExternalDataSink({
          location: EXTERNAL_DATA_FILE,
          write: (chunk) => writeAll(fd, chunk),
        });
        const sink: TensorSink = {
          store: (tensor: TensorRecord) => {
            const stored = external.store(tensor);
            if (tensor.kind === "parameter") {
              bytesDone += tensor.byteLength;
              options.onProgress?.({ network, bytesDone, bytesTotal });
            }
            return stored;
          },
        };
        writeFileSync(join(staging, network, "model.onnx"), builders[network]({ floatType, sink }));
        parameters[network] = counts[network].parameters;
        dataBytes[network] = external.bytesWritten;
      } finally {
        closeSync(fd);
      }
    }
    unusedCheckpointTensors = checkpoint?.unusedTensors() ?? [];
    unmatchedLoraAdapters = loras.flatMap((lora) => lora.unmatched().map((key) => `${lora.path}: ${key}`));
    const foreign = loras.find((lora) => lora.matchedCount === 0);
    if (foreign !== undefined)
      throw new Error(
        `${foreign.path}: none of its ${foreign.adapterCount} LoRA adapters matches an SD 1.5 weight (a LoRA for another model, such as SDXL?)`,
      );
    writeConfigs(
      staging,
      { ...options, ...(tokenizerDir === undefined ? {} : { tokenizerDir }) },
      checkpoint?.unetInChannels ?? 4,
    );
    await moveIntoPlace(staging, dir, async () => false);
  } finally {
    checkpoint?.close();
    for (const lora of loras) lora.close();
    await rm(staging, { recursive: true, force: true });
  }
  return { dir, parameters, dataBytes, unusedCheckpointTensors, unmatchedLoraAdapters, tokenizerDir };
}

function writeAll(fd: number, chunk: Uint8Array): void {
  let offset = 0;
  while (offset < chunk.length) offset += writeSync(fd, chunk, offset, chunk.length - offset);
}

function writeConfigs(dir: string, options: FullSizeOptions, unetInChannels: number): void {
  const divisor = options.widthDivisor ?? 1;
  const text = sd15TextEncoder(divisor);
  const vae = sd15Vae(divisor);
  const component = ["diffusers", "OnnxRuntimeModel"];
  const special = {
    bos_token: "<|startoftext|>",
    eos_token: "<|endoftext|>",
    pad_token: "<|endoftext|>",
    unk_token: "<|endoftext|>",
  };
  const files: Record<string, string> = {
    "model_index.json": json({
      _class_name:
        options.exporter === "optimum" ? "ORTStableDiffusionPipeline" : "OnnxStableDiffusionPipeline",
      _diffusers_version: "0.30.0",
      feature_extractor: [null, null],
      requires_safety_checker: false,
      safety_checker: [null, null],
      scheduler: ["diffusers", SD15_SCHEDULER._class_name],
      text_encoder: component,
      tokenizer: ["transformers", "CLIPTokenizer"],
      unet: component,
      vae_decoder: component,
      vae_encoder: component,
    }),
    "scheduler/scheduler_config.json": json(SD15_SCHEDULER),
    "text_encoder/config.json": json({
      _class_name: "CLIPTextModel",
      hidden_act: "quick_gelu",
      hidden_size: text.hiddenSize,
      intermediate_size: text.mlpSize,
      max_position_embeddings: text.contextLength,
      num_attention_heads: text.heads,
      num_hidden_layers: text.layers,
      vocab_size: text.vocabSize,
    }),
    "unet/config.json": json({
      ...unetConfigJson({ ...sd15UNet(divisor), inChannels: unetInChannels }),
      sample_size: 64,
    }),
    "tokenizer/special_tokens_map.json": json(special),
    "tokenizer/tokenizer_config.json": json({
      ...special,
      add_prefix_space: false,
      do_lower_case: true,
      errors: "replace",
      model_max_length: CONTEXT_LENGTH,
      tokenizer_class: "CLIPTokenizer",
    }),
  };
  const vaeConfig = json({
    _class_name: "AutoencoderKL",
    block_out_channels: vae.blockOutChannels,
    in_channels: 3,
    latent_channels: vae.latentChannels,
    layers_per_block: vae.layersPerBlock,
    norm_num_groups: vae.normNumGroups,
    out_channels: 3,
    sample_size: 512,
    scaling_factor: SCALING_FACTOR,
  });
  files["vae_decoder/config.json"] = vaeConfig;
  files["vae_encoder/config.json"] = vaeConfig;
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  if (options.tokenizerDir !== undefined) {
    for (const file of ["vocab.json", "merges.txt"])
      copyFileSync(join(options.tokenizerDir, file), join(dir, "tokenizer", file));
  } else {
    // CLIP's vocabulary cannot be committed; without it the tiny models' BPE stands in, whose ids all
    // lie inside the 49,408-row embedding, so the folder still loads and runs.
    const standIn = tinyTokenizerFiles("tokenizer", TINY_VOCAB_SIZE, CONTEXT_LENGTH, "<|endoftext|>");
    for (const file of ["tokenizer/vocab.json", "tokenizer/merges.txt"])
      writeFileSync(join(dir, file), standIn[file] as string);
  }
}
