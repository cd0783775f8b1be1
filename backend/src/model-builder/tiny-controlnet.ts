import { join } from "node:path";
import { buildControlNet, type ControlNetConfig } from "./controlnet.ts";
import { buildInfoOf, json, writeModelFolder } from "./model-folder.ts";
import { TINY_FAMILY_SPECS } from "./tiny-families.ts";
import { additionInputWidth, type UNet2DConditionConfig } from "./unet-2d-condition.ts";
import { type TensorRequest, WeightSource, type Weights } from "./weights.ts";

/** Bump when a tiny ControlNet's files change on purpose; folders built by another version are rebuilt. */
export const TINY_CONTROLNET_BUILDER_VERSION = 1;

/**
 * The UNet of the tiny ControlNet model (`controlnet: true`): SD 1.5's block layout (four levels, two
 * layers each, cross-attention on the first three), so its ControlNet has SD 1.5's twelve down residuals
 * and one mid residual, at widths that run in milliseconds.
 */
export const TINY_CONTROLNET_UNET: UNet2DConditionConfig = {
  ...TINY_FAMILY_SPECS.sd15.unet,
  blockOutChannels: [16, 16, 32, 32],
  crossAttention: [true, true, true, false],
  layersPerBlock: 2,
  transformerLayersPerBlock: [1, 1, 1, 1],
  attentionHeads: [2, 2, 2, 2],
};

/**
 * The UNet of the tiny SDXL ControlNet model (`family: "sdxl", controlnet: true`): SDXL's block layout
 * (three levels, two layers each, no attention at the top level, deeper transformers lower down, as
 * SDXL's [1, 2, 10]), so its ControlNet has SDXL's nine down residuals and one mid residual.
 */
export const TINY_SDXL_CONTROLNET_UNET: UNet2DConditionConfig = {
  ...TINY_FAMILY_SPECS.sdxl.unet,
  blockOutChannels: [16, 32, 32],
  crossAttention: [false, true, true],
  layersPerBlock: 2,
  transformerLayersPerBlock: [1, 1, 2],
  attentionHeads: [2, 2, 2],
};

/** The families with a tiny ControlNet model and tiny ControlNets. */
export type TinyControlNetFamily = "sd15" | "sdxl";

const TINY_EMBEDDING_CHANNELS = [8, 8, 16, 16];

export const TINY_CONTROLNET: ControlNetConfig = {
  unet: TINY_CONTROLNET_UNET,
  conditioningChannels: 3,
  conditioningEmbeddingChannels: TINY_EMBEDDING_CHANNELS,
};

/** SDXL's ControlNet (`addition_embed_type: "text_time"`: it takes `text_embeds` and `time_ids`). */
export const TINY_SDXL_CONTROLNET: ControlNetConfig = {
  unet: TINY_SDXL_CONTROLNET_UNET,
  conditioningChannels: 3,
  conditioningEmbeddingChannels: TINY_EMBEDDING_CHANNELS,
};

export const TINY_CONTROLNETS: Record<TinyControlNetFamily, ControlNetConfig> = {
  sd15: TINY_CONTROLNET,
  sdxl: TINY_SDXL_CONTROLNET,
};

/** The seed the tiny ControlNet models' UNets draw from (tiny-variant.ts's `unet` seed, every family's). */
export const TINY_CONTROLNET_UNET_SEED = 20_240_601 + 3;
/** Zero convolutions with real (non-zero) weights, small enough that the tiny UNet stays bounded. */
const TINY_ZERO_CONV_GAIN = 0.5;
/** The tiny UNet's gains (tiny-variant.ts), which the ControlNet's copy of its encoder shares. */
const TINY_GAINS = { outGain: 0.3, inputSkipGain: 1.2, crossAttentionGain: 2 };

/**
 * A trained ControlNet's weights in miniature: the encoder copied from the tiny UNet (as
 * `ControlNetModel.from_unet` starts one) and the ControlNet's own layers (conditioning embedding,
 * zero convolutions) drawn from a seed of their own, so ControlNets of different names differ.
 */
class TinyControlNetWeights implements Weights {
  readonly #unet = new WeightSource(TINY_CONTROLNET_UNET_SEED);
  readonly #own: WeightSource;

  constructor(seed: number) {
    this.#own = new WeightSource(seed);
  }

  normal(name: string, count: number, std: number, tensor: TensorRequest): Float32Array {
    const source = name.startsWith("controlnet_") ? this.#own : this.#unet;
    return source.normal(name, count, std, tensor);
  }
}

/** diffusers' `ControlNetModel` config.json for `config`. */
export function controlNetConfigJson(config: ControlNetConfig) {
  const unet = config.unet;
  return {
    _class_name: "ControlNetModel",
    ...(unet.addition === undefined
      ? {}
      : {
          addition_embed_type: "text_time",
          addition_time_embed_dim: unet.addition.timeEmbedDim,
          projection_class_embeddings_input_dim: additionInputWidth(unet.addition),
        }),
    attention_head_dim: unet.attentionHeads,
    block_out_channels: unet.blockOutChannels,
    conditioning_channels: config.conditioningChannels,
    conditioning_embedding_out_channels: config.conditioningEmbeddingChannels,
    controlnet_conditioning_channel_order: "rgb",
    cross_attention_dim: unet.crossAttentionDim,
    down_block_types: unet.crossAttention.map((a) => (a ? "CrossAttnDownBlock2D" : "DownBlock2D")),
    in_channels: unet.inChannels,
    layers_per_block: unet.layersPerBlock,
    norm_num_groups: unet.normNumGroups,
    transformer_layers_per_block: unet.transformerLayersPerBlock,
    use_linear_projection: unet.useLinearProjection,
  };
}

/**
 * A tiny ControlNet's files: `model.onnx` (standard operators, float32, diffusers' float `[batch]`
 * timestep) and `config.json`, with non-zero zero convolutions so its effect on the tiny ControlNet
 * model (`ensureTinyModel(dir, { family, controlnet: true })`) shows. `seed` tells ControlNets apart.
 */
export function buildTinyControlNetFiles(
  seed = 1,
  family: TinyControlNetFamily = "sd15",
): Map<string, Uint8Array> {
  const config = TINY_CONTROLNETS[family];
  const model = buildControlNet(new TinyControlNetWeights(seed), config, {
    tiny: TINY_GAINS,
    zeroConvGain: TINY_ZERO_CONV_GAIN,
  });
  return new Map([
    ["config.json", new TextEncoder().encode(json(controlNetConfigJson(config)))],
    ["model.onnx", model],
  ]);
}

/**
 * Make sure `<cacheDir>/controlnet/<name>` holds a current tiny ControlNet (built as `ensureTinyModel`
 * builds models: whole or not at all, reused while current) and return its path.
 *
 * @example
 * const model = await ensureTinyModel(".sdgate/models", { controlnet: true });
 * const canny = await ensureTinyControlNet(".sdgate/models", "tiny-canny");
 * const sdxlCanny = await ensureTinyControlNet(".sdgate/models", "tiny-sdxl-canny", 1, "sdxl");
 */
export async function ensureTinyControlNet(
  cacheDir: string,
  name: string,
  seed = 1,
  family: TinyControlNetFamily = "sd15",
): Promise<string> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name))
    throw new Error(`name: ${JSON.stringify(name)} is not a folder name (letters, digits, . _ -)`);
  const dir = join(cacheDir, "controlnet", name);
  const files = buildTinyControlNetFiles(seed, family);
  await writeModelFolder(dir, files, buildInfoOf(files, TINY_CONTROLNET_BUILDER_VERSION));
  return dir;
}
