import { toNchw, toNhwc } from "./fused-layers.ts";
import { type Dim, GraphBuilder as Graph, type GraphBuilder, type GraphOptions } from "./graph.ts";
import {
  channelAxis,
  conv2d,
  groupNorm,
  isFused,
  type LayerContext,
  layerContext,
  linear,
  type OperatorSet,
  silu,
} from "./nn.ts";
import { transformer2D } from "./transformer-2d.ts";
import { resizeNearestTo, resnetBlock } from "./unet.ts";
import type { Weights } from "./weights.ts";

/**
 * The parts of diffusers' `UNet2DConditionModel` config (models/unets/unet_2d_condition.py) that SD
 * 1.x, 2.x, XL, LCM and inpainting UNets use, in camelCase. Per-level arrays run from the highest
 * resolution down.
 */
export interface UNet2DConditionConfig {
  inChannels: number;
  outChannels: number;
  blockOutChannels: readonly number[];
  /** True where a level is `CrossAttnDownBlock2D` / `CrossAttnUpBlock2D`, false for the plain blocks. */
  crossAttention: readonly boolean[];
  layersPerBlock: number;
  /** Transformer blocks per attention (`transformer_layers_per_block`; SDXL's [1, 2, 10]). */
  transformerLayersPerBlock: readonly number[];
  /** Heads per level (diffusers' `attention_head_dim` for SD 1.x, `channels / 64` for 2.x and XL). */
  attentionHeads: readonly number[];
  crossAttentionDim: number;
  /** Linear proj_in/proj_out (SD 2.x, XL) instead of 1×1 convolutions (SD 1.x). */
  useLinearProjection: boolean;
  normNumGroups: number;
  /** LCM's guidance embedding width (`time_cond_proj_dim`), read through `time_embedding.cond_proj`. */
  timeCondProjDim?: number;
  /** SDXL's `addition_embed_type: "text_time"`. */
  addition?: {
    /** `addition_time_embed_dim`: the sinusoid width for each of the `time_ids`. */
    timeEmbedDim: number;
    /**
     * How many `time_ids` (default 6): the base's original size, crop and target size, or the
     * refiner's original size, crop and aesthetic score (diffusers' `requires_aesthetics_score`).
     */
    timeIds?: 5 | 6;
    /** Width of the pooled `text_embeds`. */
    textEmbedDim: number;
  };
}

type Addition = NonNullable<UNet2DConditionConfig["addition"]>;

export const timeIdCount = (addition: Addition): number => addition.timeIds ?? 6;

/** `projection_class_embeddings_input_dim`: pooled text beside one sinusoid per time id. */
export const additionInputWidth = (addition: Addition): number =>
  addition.textEmbedDim + timeIdCount(addition) * addition.timeEmbedDim;

export interface UNetBuildOptions {
  /** How the timestep input is declared: diffusers' script writes float `[batch]`, optimum int64 `[1]`. */
  timestep?: { type: "float" | "int64"; dims: readonly Dim[] };
  /** Gains that keep a random tiny UNet's denoising loop bounded (see `buildUNet` in unet.ts). */
  tiny?: { outGain: number; inputSkipGain: number; crossAttentionGain: number };
  /** Standard ONNX operators (default) or onnxruntime's fused CUDA ones (see `OperatorSet`). */
  operators?: OperatorSet;
  /**
   * Take a ControlNet's residuals as inputs (`down_block_0`… and `mid_block_additional_residual`,
   * see `CONTROL_RESIDUAL_INPUTS` in controlnet.ts) and add them as diffusers'
   * `down_block_additional_residuals` / `mid_block_additional_residual` do.
   */
  controlResiduals?: boolean;
}

/**
 * A `UNet2DConditionModel` forward pass as `torch.onnx.export` writes it: sinusoidal timestep
 * embedding (plus LCM's `cond_proj` and SDXL's `add_embedding`), conv_in, down blocks of ResNets and
 * spatial transformers with skip outputs, a cross-attention mid block, up blocks that concatenate the
 * skips, GroupNorm, SiLU, conv_out. Batch, height and width are dynamic; upsampling follows the skip's
 * size, as diffusers' `forward_upsample_size` does for sizes that are not multiples of 2^levels.
 */
export function buildUNet2DCondition(
  weights: Weights,
  config: UNet2DConditionConfig,
  options: UNetBuildOptions = {},
  graph: GraphOptions = {},
): Uint8Array {
  const g = new Graph("unet", graph);
  const trunk = unetTrunk(g, weights, config, options);
  const { ctx, sample, fused } = trunk;
  const float = g.floatType;
  const residuals = options.controlResiduals === true ? declareControlResiduals(trunk) : undefined;

  const encoded = encoderBlocks(
    trunk,
    conv2d(ctx, trunk.sampleIn, "conv_in", config.inChannels, trunk.channels0),
  );
  let h = encoded.h;
  const skips = residuals === undefined ? encoded.skips : addResiduals(trunk, encoded.skips, residuals.down);
  h = midBlock(trunk, h);
  // diffusers adds the mid residual to the mid block's output, before the up blocks.
  if (residuals !== undefined) h = g.node("Add", [h, spatialInput(trunk, residuals.mid)]);
  const current = config.blockOutChannels[config.blockOutChannels.length - 1] as number;
  h = decoderBlocks(trunk, h, skips, current);

  const tiny = options.tiny;
  const first = trunk.channels0;
  const normed = groupNorm(ctx, h, "conv_norm_out", first, config.normNumGroups, { silu: true });
  let out = conv2d(ctx, normed, "conv_out", first, config.outChannels, { gain: tiny?.outGain ?? 1 });
  if (fused) out = toNchw(ctx, out);
  if (tiny !== undefined) {
    // The tiny models' stand-in for a trained UNet's tracking of the noise in its input.
    const latents =
      config.inChannels === config.outChannels
        ? sample
        : g.node("Slice", [sample, g.int64s([0]), g.int64s([config.outChannels]), g.int64s([1])]);
    out = g.node("Add", [out, g.node("Mul", [latents, g.floats([tiny.inputSkipGain], [])])]);
  }
  g.output(out, float, ["batch", config.outChannels, "height", "width"], "out_sample");
  if (residuals !== undefined) g.metadata(NETWORK_METADATA_KEY, "unet-control-residuals");
  return g.encode();
}

/** The ONNX metadata key whose value names what a built graph is (`controlnet`, `unet-control-residuals`). */
export const NETWORK_METADATA_KEY = "sdgate.network";

/**
 * What a UNet and a ControlNet share up to their first convolution: the inputs `sample`, `timestep`,
 * `encoder_hidden_states` (and SDXL's / LCM's extra conditioning), the time embedding, and the layers
 * that read them.
 */
export interface UNetTrunk {
  ctx: LayerContext;
  config: UNet2DConditionConfig;
  fused: boolean;
  /** The `sample` input, NCHW. */
  sample: string;
  /** `sample` as the trunk's layout wants it (NHWC when fused). */
  sampleIn: string;
  context: string;
  temb: string;
  timeEmbedDim: number;
  channels0: number;
  crossAttentionGain: number;
}

/** Declare the UNet's conditioning inputs and build its time embedding. */
export function unetTrunk(
  g: GraphBuilder,
  weights: Weights,
  config: UNet2DConditionConfig,
  options: UNetBuildOptions,
): UNetTrunk {
  const ctx = layerContext(g, weights, options.operators);
  const fused = isFused(ctx);
  const float = g.floatType;
  const channels0 = config.blockOutChannels[0] as number;
  const timeEmbedDim = 4 * channels0;

  const sample = g.input("sample", float, ["batch", config.inChannels, "height", "width"]);
  const timestepSpec = options.timestep ?? { type: "float", dims: ["batch"] };
  const timestep = g.input("timestep", timestepSpec.type === "float" ? float : "int64", timestepSpec.dims);
  const context = g.input("encoder_hidden_states", float, ["batch", "sequence", config.crossAttentionDim]);
  const textEmbeds =
    config.addition && g.input("text_embeds", float, ["batch", config.addition.textEmbedDim]);
  const timeIds = config.addition && g.input("time_ids", float, ["batch", timeIdCount(config.addition)]);
  const timestepCond =
    config.timeCondProjDim === undefined
      ? undefined
      : g.input("timestep_cond", float, ["batch", config.timeCondProjDim]);

  // `timesteps.expand(sample.shape[0])`, then the embedding in float32 as diffusers computes it.
  const batch = g.node("Slice", [g.node("Shape", [sample]), g.int64s([0]), g.int64s([1])]);
  const steps = g.node("Expand", [g.node("Cast", [timestep], { to: 1 }), batch]);
  let timeProj = toFloatType(g, sinusoid(g, steps, channels0));
  if (timestepCond !== undefined) {
    const cond = linear(
      ctx,
      timestepCond,
      "time_embedding.cond_proj",
      config.timeCondProjDim as number,
      channels0,
      {
        bias: false,
      },
    );
    timeProj = g.node("Add", [timeProj, cond]);
  }
  let temb = timestepEmbedding(ctx, timeProj, "time_embedding", channels0, timeEmbedDim);
  if (config.addition && textEmbeds && timeIds) {
    const { timeEmbedDim: addDim } = config.addition;
    const ids = timeIdCount(config.addition);
    const flatIds = g.node("Reshape", [g.node("Cast", [timeIds], { to: 1 }), g.int64s([-1])]);
    const idEmbeds = g.node("Reshape", [
      toFloatType(g, sinusoid(g, flatIds, addDim)),
      g.int64s([-1, ids * addDim]),
    ]);
    const addEmbeds = g.node("Concat", [textEmbeds, idEmbeds], { axis: -1 });
    const projected = timestepEmbedding(
      ctx,
      addEmbeds,
      "add_embedding",
      additionInputWidth(config.addition),
      timeEmbedDim,
    );
    temb = g.node("Add", [temb, projected]);
  }
  return {
    ctx,
    config,
    fused,
    sample,
    sampleIn: fused ? toNhwc(ctx, sample) : sample,
    context,
    temb,
    timeEmbedDim,
    channels0,
    crossAttentionGain: options.tiny?.crossAttentionGain ?? 1,
  };
}

/** One skip connection the down blocks leave for the up blocks (diffusers' `down_block_res_samples`). */
export interface Skip {
  value: string;
  channels: number;
  /** How many times smaller than the latents it is (1, 2, 4, 8). */
  downscale: number;
}

/** Channels and downscale of each skip, in order: conv_in's output, then each ResNet and downsampler. */
export function skipShapes(config: UNet2DConditionConfig): Omit<Skip, "value">[] {
  const first = config.blockOutChannels[0] as number;
  const shapes = [{ channels: first, downscale: 1 }];
  config.blockOutChannels.forEach((channels, level) => {
    for (let j = 0; j < config.layersPerBlock; j++) shapes.push({ channels, downscale: 2 ** level });
    if (level < config.blockOutChannels.length - 1) shapes.push({ channels, downscale: 2 ** (level + 1) });
  });
  return shapes;
}

const resnetOf = (trunk: UNetTrunk, x: string, name: string, cin: number, cout: number) =>
  resnetBlock(trunk.ctx, x, name, cin, cout, trunk.config.normNumGroups, trunk.temb, trunk.timeEmbedDim);

const transformerOf = (trunk: UNetTrunk, x: string, name: string, dim: number, level: number) =>
  transformer2D(trunk.ctx, x, trunk.context, name, dim, {
    heads: trunk.config.attentionHeads[level] as number,
    layers: trunk.config.transformerLayersPerBlock[level] as number,
    contextDim: trunk.config.crossAttentionDim,
    linearProjection: trunk.config.useLinearProjection,
    groups: trunk.config.normNumGroups,
    crossAttentionGain: trunk.crossAttentionGain,
  });

/**
 * The down blocks from conv_in's output `h`: ResNets, transformers where the level has cross-attention,
 * stride-2 downsamplers; returns their output and every skip (conv_in's output first). The UNet and
 * the ControlNet (its copy of the encoder) both run this.
 */
export function encoderBlocks(trunk: UNetTrunk, h: string): { h: string; skips: Skip[] } {
  const { config } = trunk;
  const levels = config.blockOutChannels.length;
  const skips: Skip[] = [{ value: h, channels: trunk.channels0, downscale: 1 }];
  let current = trunk.channels0;
  for (let level = 0; level < levels; level++) {
    const out = config.blockOutChannels[level] as number;
    for (let j = 0; j < config.layersPerBlock; j++) {
      h = resnetOf(trunk, h, `down_blocks.${level}.resnets.${j}`, j === 0 ? current : out, out);
      if (config.crossAttention[level])
        h = transformerOf(trunk, h, `down_blocks.${level}.attentions.${j}`, out, level);
      skips.push({ value: h, channels: out, downscale: 2 ** level });
    }
    current = out;
    if (level < levels - 1) {
      h = conv2d(trunk.ctx, h, `down_blocks.${level}.downsamplers.0.conv`, out, out, { stride: 2 });
      skips.push({ value: h, channels: out, downscale: 2 ** (level + 1) });
    }
  }
  return { h, skips };
}

/** `UNetMidBlock2DCrossAttn`: ResNet, transformer, ResNet at the lowest resolution. */
export function midBlock(trunk: UNetTrunk, h: string): string {
  const levels = trunk.config.blockOutChannels.length;
  const channels = trunk.config.blockOutChannels[levels - 1] as number;
  h = resnetOf(trunk, h, "mid_block.resnets.0", channels, channels);
  h = transformerOf(trunk, h, "mid_block.attentions.0", channels, levels - 1);
  return resnetOf(trunk, h, "mid_block.resnets.1", channels, channels);
}

/** The up blocks: concatenate skips (last first), ResNets, transformers, nearest upsampling. */
function decoderBlocks(trunk: UNetTrunk, h: string, skipsIn: readonly Skip[], channels: number): string {
  const { ctx, config, fused } = trunk;
  const levels = config.blockOutChannels.length;
  const skips = [...skipsIn];
  let current = channels;
  for (let up = 0; up < levels; up++) {
    const level = levels - 1 - up;
    const out = config.blockOutChannels[level] as number;
    for (let j = 0; j <= config.layersPerBlock; j++) {
      const skip = skips.pop();
      if (skip === undefined) throw new Error("unet: ran out of skip connections");
      h = ctx.g.node("Concat", [h, skip.value], { axis: channelAxis(ctx) });
      h = resnetOf(trunk, h, `up_blocks.${up}.resnets.${j}`, current + skip.channels, out);
      if (config.crossAttention[level])
        h = transformerOf(trunk, h, `up_blocks.${up}.attentions.${j}`, out, level);
      current = out;
    }
    if (up < levels - 1) {
      const next = skips[skips.length - 1];
      if (next === undefined) throw new Error("unet: no skip to upsample to");
      h = conv2d(
        ctx,
        resizeNearestTo(ctx.g, h, next.value, fused),
        `up_blocks.${up}.upsamplers.0.conv`,
        out,
        out,
      );
    }
  }
  return h;
}

/** The symbolic [batch, C, H, W] of a spatial value `downscale` times smaller than the latents. */
export function spatialDims(channels: number, downscale: number): Dim[] {
  return downscale === 1
    ? ["batch", channels, "height", "width"]
    : ["batch", channels, `height/${downscale}`, `width/${downscale}`];
}

/** Declare onnx-web's residual inputs: `down_block_<i>` per skip, then `mid_block_additional_residual`. */
function declareControlResiduals(trunk: UNetTrunk): { down: string[]; mid: string } {
  const { g } = trunk.ctx;
  const shapes = skipShapes(trunk.config);
  const down = shapes.map((s, i) =>
    g.input(`down_block_${i}`, g.floatType, spatialDims(s.channels, s.downscale)),
  );
  const last = shapes[shapes.length - 1] as Omit<Skip, "value">;
  const midChannels = trunk.config.blockOutChannels[trunk.config.blockOutChannels.length - 1] as number;
  const mid = g.input("mid_block_additional_residual", g.floatType, spatialDims(midChannels, last.downscale));
  return { down, mid };
}

/** An NCHW input in the trunk's layout. */
function spatialInput(trunk: UNetTrunk, value: string): string {
  return trunk.fused ? toNhwc(trunk.ctx, value) : value;
}

/** diffusers: `down_block_res_sample + down_block_additional_residual` for each skip, in order. */
function addResiduals(trunk: UNetTrunk, skips: readonly Skip[], residuals: readonly string[]): Skip[] {
  if (skips.length !== residuals.length)
    throw new Error(`unet: ${skips.length} skips but ${residuals.length} residual inputs`);
  return skips.map((skip, i) => ({
    ...skip,
    value: trunk.ctx.g.node("Add", [skip.value, spatialInput(trunk, residuals[i] as string)]),
  }));
}

/**
 * diffusers' `get_timestep_embedding(flip_sin_to_cos=True, downscale_freq_shift=0)` on a float32
 * vector: [N] → [N, dim] as cos | sin.
 */
function sinusoid(g: GraphBuilder, values: string, dim: number): string {
  const half = dim / 2;
  const frequencies = Array.from({ length: half }, (_, i) => Math.exp((-Math.log(10000) * i) / half));
  const angles = g.node("Mul", [
    g.node("Unsqueeze", [values, g.int64s([1])]),
    g.floats(frequencies, [1, half], "float"),
  ]);
  return g.node("Concat", [g.node("Cos", [angles]), g.node("Sin", [angles])], { axis: 1 });
}

/** `t_emb.to(dtype=sample.dtype)`: float32 embedding math, then the graph's float type. */
function toFloatType(g: GraphBuilder, value: string): string {
  return g.floatType === "float" ? value : g.node("Cast", [value], { to: g.floatTypeCode });
}

/** diffusers' `TimestepEmbedding`: linear_1, SiLU, linear_2. */
function timestepEmbedding(
  ctx: LayerContext,
  x: string,
  name: string,
  inDim: number,
  outDim: number,
): string {
  return linear(
    ctx,
    silu(ctx, linear(ctx, x, `${name}.linear_1`, inDim, outDim)),
    `${name}.linear_2`,
    outDim,
    outDim,
  );
}
