import { buildVaeDecoderKL, buildVaeEncoder } from "./autoencoder-kl.ts";
import type { GraphOptions } from "./graph.ts";
import { clipLoraModule, unetLoraModules } from "./lora-inputs.ts";
import { json } from "./model-folder.ts";
import { addOnnxModel } from "./onnx-files.ts";
import { buildTextEncoder, type TextEncoderShape } from "./text-encoder.ts";
import { TINY_CONTROLNETS, type TinyControlNetFamily } from "./tiny-controlnet.ts";
import { type Exporter, TINY_FAMILY_SPECS, TINY_VOCAB_SIZE, type TinyFamily } from "./tiny-families.ts";
import { tinyTokenizerFiles } from "./tokenizer-files.ts";
import { additionInputWidth, buildUNet2DCondition, type UNet2DConditionConfig } from "./unet-2d-condition.ts";
import { WeightSource } from "./weights.ts";

export interface ResolvedTinyOptions {
  family: TinyFamily;
  exporter: Exporter;
  dtype: "float32" | "float16";
  externalData: boolean;
  /**
   * The family's real block layout (`TINY_CONTROLNETS`: SD 1.5's or SDXL's) and the UNet that takes
   * ControlNet residuals in `cnet/`.
   */
  controlnet: boolean;
  /** LoRA adapter inputs on the text encoder and the UNets (lora-inputs.ts). */
  loraInputs: boolean;
}

const WEIGHT_SEED = 20_240_601;
/** Each network draws from its own seed, so the two text encoders' same-named tensors differ. */
const SEEDS = { text_encoder: 1, text_encoder_2: 2, unet: 3, vae_encoder: 4, vae_decoder: 5 } as const;
const weightsFor = (component: keyof typeof SEEDS) => new WeightSource(WEIGHT_SEED + SEEDS[component]);

/** Gains that keep a random tiny UNet's denoising loop bounded and prompt-dependent. */
const TINY_UNET_GAINS = { outGain: 0.3, inputSkipGain: 1.2, crossAttentionGain: 2 };

/**
 * Every file of one tiny variant, path → bytes: the family's networks as the exporter declares them
 * (ids int32 and timestep float `[batch]` for diffusers' script; ids int64, timestep int64 `[1]`,
 * `hidden_states.*` and `latent_parameters` for optimum), in the dtype asked for.
 */
export function buildTinyVariantFiles(options: ResolvedTinyOptions): Map<string, Uint8Array> {
  const spec = TINY_FAMILY_SPECS[options.family];
  const optimum = options.exporter === "optimum";
  const refiner = spec.refiner === true;
  const sdxl = spec.textEncoder2 !== undefined || refiner;
  // the refiner's one encoder is SDXL's second, in its folder
  const encoderFolder = refiner ? "text_encoder_2" : "text_encoder";
  const tokenizerFolder = refiner ? "tokenizer_2" : "tokenizer";
  const graph: GraphOptions = { floatType: options.dtype === "float16" ? "float16" : "float" };
  const unetConfig = options.controlnet
    ? TINY_CONTROLNETS[options.family as TinyControlNetFamily].unet
    : spec.unet;
  const encoderShape = (shape: TextEncoderShape): TextEncoderShape => ({
    ...shape,
    idsType: optimum ? "int64" : "int32",
    outputHiddenStates: optimum || sdxl,
  });
  const component = ["diffusers", "OnnxRuntimeModel"];
  const text: Record<string, string> = {
    "model_index.json": json({
      _class_name: spec.pipelineClass[options.exporter],
      _diffusers_version: "0.30.0",
      ...(sdxl
        ? {}
        : { feature_extractor: [null, null], requires_safety_checker: false, safety_checker: [null, null] }),
      // diffusers' refiner: no `text_encoder`, the aesthetic score in time_ids, no zeroed negative
      ...(refiner ? { force_zeros_for_empty_prompt: false, requires_aesthetics_score: true } : {}),
      scheduler: ["diffusers", spec.scheduler._class_name],
      ...(refiner ? {} : { text_encoder: component }),
      ...(sdxl ? { text_encoder_2: component } : {}),
      ...(refiner ? {} : { tokenizer: ["transformers", "CLIPTokenizer"] }),
      ...(sdxl ? { tokenizer_2: ["transformers", "CLIPTokenizer"] } : {}),
      unet: component,
      vae_decoder: component,
      vae_encoder: component,
    }),
    "scheduler/scheduler_config.json": json(spec.scheduler),
    [`${encoderFolder}/config.json`]: json(textEncoderConfig(spec.textEncoder)),
    ...tinyTokenizerFiles(tokenizerFolder, TINY_VOCAB_SIZE, 77, spec.padToken),
    "unet/config.json": json(unetConfigJson(unetConfig)),
    "vae_decoder/config.json": json(vaeConfigJson(spec, sdxl)),
    "vae_encoder/config.json": json(vaeConfigJson(spec, sdxl)),
  };
  if (spec.textEncoder2 !== undefined) {
    text["text_encoder_2/config.json"] = json(textEncoderConfig(spec.textEncoder2));
    Object.assign(text, tinyTokenizerFiles("tokenizer_2", TINY_VOCAB_SIZE, 77, "!"));
  }

  const files = new Map<string, Uint8Array>();
  for (const [path, content] of Object.entries(text)) files.set(path, new TextEncoder().encode(content));
  const add = (folder: string, build: (graph: GraphOptions) => Uint8Array) =>
    addOnnxModel(files, folder, options.externalData, graph, build);
  const withLora = (g: GraphOptions, loraModule: GraphOptions["loraModule"]): GraphOptions =>
    options.loraInputs && loraModule !== undefined ? { ...g, loraModule } : g;
  add(encoderFolder, (g) =>
    buildTextEncoder(weightsFor(encoderFolder), encoderShape(spec.textEncoder), withLora(g, clipLoraModule)),
  );
  const encoder2 = spec.textEncoder2;
  if (encoder2 !== undefined)
    add("text_encoder_2", (g) => buildTextEncoder(weightsFor("text_encoder_2"), encoderShape(encoder2), g));
  const unet = (controlResiduals: boolean) => (g: GraphOptions) =>
    buildUNet2DCondition(
      weightsFor("unet"),
      unetConfig,
      {
        timestep: optimum ? { type: "int64", dims: [1] } : { type: "float", dims: ["batch"] },
        tiny: TINY_UNET_GAINS,
        controlResiduals,
      },
      withLora(g, unetLoraModules("locon")),
    );
  add("unet", unet(false));
  // onnx-web's layout: the same UNet taking a ControlNet's residuals, in `cnet/` beside `unet/`.
  if (options.controlnet) add("cnet", unet(true));
  add("vae_encoder", (g) =>
    buildVaeEncoder(weightsFor("vae_encoder"), spec.vae, optimum ? "latent_parameters" : "latent_sample", g),
  );
  add("vae_decoder", (g) =>
    buildVaeDecoderKL(weightsFor("vae_decoder"), spec.vae, { outGain: spec.vaeOutGain }, g),
  );
  return new Map([...files.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** A text encoder's config.json keys, as transformers writes them. */
export function textEncoderConfig(shape: TextEncoderShape) {
  return {
    _class_name: shape.projectionDim === undefined ? "CLIPTextModel" : "CLIPTextModelWithProjection",
    hidden_act: shape.hiddenAct ?? "quick_gelu",
    hidden_size: shape.hiddenSize,
    intermediate_size: shape.mlpSize,
    max_position_embeddings: shape.contextLength,
    num_attention_heads: shape.heads,
    num_hidden_layers: shape.layers,
    ...(shape.projectionDim === undefined ? {} : { projection_dim: shape.projectionDim }),
    vocab_size: shape.vocabSize,
  };
}

/** The UNet's config.json keys a pipeline reads (diffusers' names). */
export function unetConfigJson(config: UNet2DConditionConfig) {
  const levels = config.blockOutChannels.length;
  return {
    _class_name: "UNet2DConditionModel",
    ...(config.addition === undefined
      ? {}
      : {
          addition_embed_type: "text_time",
          addition_time_embed_dim: config.addition.timeEmbedDim,
          projection_class_embeddings_input_dim: additionInputWidth(config.addition),
        }),
    attention_head_dim: config.attentionHeads,
    block_out_channels: config.blockOutChannels,
    cross_attention_dim: config.crossAttentionDim,
    down_block_types: config.crossAttention.map((a) => (a ? "CrossAttnDownBlock2D" : "DownBlock2D")),
    in_channels: config.inChannels,
    layers_per_block: config.layersPerBlock,
    norm_num_groups: config.normNumGroups,
    out_channels: config.outChannels,
    // 256 px native, like the default `tiny`.
    sample_size: 32,
    time_cond_proj_dim: config.timeCondProjDim ?? null,
    transformer_layers_per_block: config.transformerLayersPerBlock,
    up_block_types: Array.from({ length: levels }, (_, i) =>
      config.crossAttention[levels - 1 - i] ? "CrossAttnUpBlock2D" : "UpBlock2D",
    ),
    use_linear_projection: config.useLinearProjection,
  };
}

function vaeConfigJson(spec: (typeof TINY_FAMILY_SPECS)[TinyFamily], sdxl: boolean) {
  return {
    _class_name: "AutoencoderKL",
    block_out_channels: spec.vae.blockOutChannels,
    ...(sdxl ? { force_upcast: true } : {}),
    in_channels: 3,
    latent_channels: spec.vae.latentChannels,
    layers_per_block: spec.vae.layersPerBlock,
    norm_num_groups: spec.vae.normNumGroups,
    out_channels: 3,
    sample_size: 64,
    scaling_factor: spec.scalingFactor,
  };
}
