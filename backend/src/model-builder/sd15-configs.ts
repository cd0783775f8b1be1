import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { AutoencoderKLConfig } from "./autoencoder-kl.ts";
import { json } from "./model-folder.ts";
import { SD15_SCHEDULER } from "./scheduler-configs.ts";
import { sd15TextEncoder, sd15UNet, sd15Vae } from "./sd15-architecture.ts";
import type { FullSizeOptions } from "./sd15-full-size.ts";
import { TINY_VOCAB_SIZE } from "./tiny-families.ts";
import { unetConfigJson } from "./tiny-variant.ts";
import { clipTokenizerConfigFiles, tinyTokenizerFiles } from "./tokenizer-files.ts";

const SCALING_FACTOR = 0.18215;
const CONTEXT_LENGTH = 77;
export const ONNX_COMPONENT = ["diffusers", "OnnxRuntimeModel"];

/** The folder's JSON configs and tokenizer files, as diffusers' ONNX export writes them. */
export function writeConfigs(dir: string, options: FullSizeOptions, unetInChannels: number): void {
  const divisor = options.widthDivisor ?? 1;
  const text = sd15TextEncoder(divisor);
  const component = ONNX_COMPONENT;
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
    ...vaeConfigFiles(sd15Vae(divisor), { scalingFactor: SCALING_FACTOR, sampleSizePx: 512 }),
  };
  writeTextFiles(dir, files);
  writeTokenizer(dir, "tokenizer", "<|endoftext|>", options.tokenizerDir);
}

/** `vae_decoder/config.json` and `vae_encoder/config.json` (the same AutoencoderKL config). */
export function vaeConfigFiles(
  vae: AutoencoderKLConfig,
  extra: { scalingFactor: number; sampleSizePx: number; forceUpcast?: boolean },
): Record<string, string> {
  const config = json({
    _class_name: "AutoencoderKL",
    block_out_channels: vae.blockOutChannels,
    ...(extra.forceUpcast === undefined ? {} : { force_upcast: extra.forceUpcast }),
    in_channels: 3,
    latent_channels: vae.latentChannels,
    layers_per_block: vae.layersPerBlock,
    norm_num_groups: vae.normNumGroups,
    out_channels: 3,
    sample_size: extra.sampleSizePx,
    scaling_factor: extra.scalingFactor,
  });
  return { "vae_decoder/config.json": config, "vae_encoder/config.json": config };
}

/** Write `files` (path → text) under `dir`. */
export function writeTextFiles(dir: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

/**
 * A CLIPTokenizer folder `folder` under `dir`, padding with `padToken`: CLIP's `vocab.json` and
 * `merges.txt` copied from `tokenizerDir`, or without it the tiny models' BPE.
 */
export function writeTokenizer(
  dir: string,
  folder: string,
  padToken: string,
  tokenizerDir: string | undefined,
): void {
  if (tokenizerDir === undefined) {
    // CLIP's vocabulary cannot be committed; without it the tiny models' BPE stands in, whose ids all
    // lie inside the 49,408-row embedding, so the folder still loads and runs.
    writeTextFiles(dir, tinyTokenizerFiles(folder, TINY_VOCAB_SIZE, CONTEXT_LENGTH, padToken));
    return;
  }
  writeTextFiles(dir, clipTokenizerConfigFiles(folder, CONTEXT_LENGTH, padToken));
  for (const file of ["vocab.json", "merges.txt"])
    copyFileSync(join(tokenizerDir, file), join(dir, folder, file));
}
