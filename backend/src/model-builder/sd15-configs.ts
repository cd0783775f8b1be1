import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { json } from "./model-folder.ts";
import { SD15_SCHEDULER } from "./scheduler-configs.ts";
import { sd15TextEncoder, sd15UNet, sd15Vae } from "./sd15-architecture.ts";
import type { FullSizeOptions } from "./sd15-full-size.ts";
import { TINY_VOCAB_SIZE } from "./tiny-families.ts";
import { unetConfigJson } from "./tiny-variant.ts";
import { tinyTokenizerFiles } from "./tokenizer-files.ts";

const SCALING_FACTOR = 0.18215;
const CONTEXT_LENGTH = 77;

/** The folder's JSON configs and tokenizer files, as diffusers' ONNX export writes them. */
export function writeConfigs(dir: string, options: FullSizeOptions, unetInChannels: number): void {
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
