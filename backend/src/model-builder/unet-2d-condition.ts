import {
  gegluFeedForward,
  packedCrossAttention,
  packedSelfAttention,
  skipLayerNorm,
  toNchw,
  toNhwc,
} from "./fused-layers.ts";
import { type Dim, GraphBuilder as Graph, type GraphBuilder, type GraphOptions } from "./graph.ts";
import {
  attention,
  channelAxis,
  conv2d,
  gelu,
  groupNorm,
  isFused,
  type LayerContext,
  layerContext,
  layerNorm,
  linear,
  linearBias,
  type OperatorSet,
  silu,
} from "./nn.ts";
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
    /** `addition_time_embed_dim`: the sinusoid width for each of the six `time_ids`. */
    timeEmbedDim: number;
    /** Width of the pooled `text_embeds`. */
    textEmbedDim: number;
  };
}

export interface UNetBuildOptions {
  /** How the timestep input is declared: diffusers' script writes float `[batch]`, optimum int64 `[1]`. */
  timestep?: { type: "float" | "int64"; dims: readonly Dim[] };
  /** Gains that keep a random tiny UNet's denoising loop bounded (see `buildUNet` in unet.ts). */
  tiny?: { outGain: number; inputSkipGain: number; crossAttentionGain: number };
  /** Standard ONNX operators (default) or onnxruntime's fused CUDA ones (see `OperatorSet`). */
  operators?: OperatorSet;
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
  const ctx = layerContext(g, weights, options.operators);
  const fused = isFused(ctx);
  const float = g.floatType;
  const channels = config.blockOutChannels;
  const levels = channels.length;
  const timeEmbedDim = 4 * (channels[0] as number);
  const groups = config.normNumGroups;
  const tiny = options.tiny;

  const sample = g.input("sample", float, ["batch", config.inChannels, "height", "width"]);
  const timestepSpec = options.timestep ?? { type: "float", dims: ["batch"] };
  const timestep = g.input("timestep", timestepSpec.type === "float" ? float : "int64", timestepSpec.dims);
  const context = g.input("encoder_hidden_states", float, ["batch", "sequence", config.crossAttentionDim]);
  const textEmbeds =
    config.addition && g.input("text_embeds", float, ["batch", config.addition.textEmbedDim]);
  const timeIds = config.addition && g.input("time_ids", float, ["batch", 6]);
  const timestepCond =
    config.timeCondProjDim === undefined
      ? undefined
      : g.input("timestep_cond", float, ["batch", config.timeCondProjDim]);

  // `timesteps.expand(sample.shape[0])`, then the embedding in float32 as diffusers computes it.
  const batch = g.node("Slice", [g.node("Shape", [sample]), g.int64s([0]), g.int64s([1])]);
  const steps = g.node("Expand", [g.node("Cast", [timestep], { to: 1 }), batch]);
  let timeProj = toFloatType(g, sinusoid(g, steps, channels[0] as number));
  if (timestepCond !== undefined) {
    const cond = linear(
      ctx,
      timestepCond,
      "time_embedding.cond_proj",
      config.timeCondProjDim as number,
      channels[0] as number,
      {
        bias: false,
      },
    );
    timeProj = g.node("Add", [timeProj, cond]);
  }
  let temb = timestepEmbedding(ctx, timeProj, "time_embedding", channels[0] as number, timeEmbedDim);
  if (config.addition && textEmbeds && timeIds) {
    const { timeEmbedDim: addDim, textEmbedDim } = config.addition;
    const flatIds = g.node("Reshape", [g.node("Cast", [timeIds], { to: 1 }), g.int64s([-1])]);
    const idEmbeds = g.node("Reshape", [
      toFloatType(g, sinusoid(g, flatIds, addDim)),
      g.int64s([-1, 6 * addDim]),
    ]);
    const addEmbeds = g.node("Concat", [textEmbeds, idEmbeds], { axis: -1 });
    const projected = timestepEmbedding(
      ctx,
      addEmbeds,
      "add_embedding",
      textEmbedDim + 6 * addDim,
      timeEmbedDim,
    );
    temb = g.node("Add", [temb, projected]);
  }

  const resnet = (x: string, name: string, cin: number, cout: number) =>
    resnetBlock(ctx, x, name, cin, cout, groups, temb, timeEmbedDim);
  const transformer = (x: string, name: string, dim: number, level: number) =>
    transformer2D(ctx, x, context, name, dim, {
      heads: config.attentionHeads[level] as number,
      layers: config.transformerLayersPerBlock[level] as number,
      contextDim: config.crossAttentionDim,
      linearProjection: config.useLinearProjection,
      groups,
      crossAttentionGain: tiny?.crossAttentionGain ?? 1,
    });

  let h = conv2d(
    ctx,
    fused ? toNhwc(ctx, sample) : sample,
    "conv_in",
    config.inChannels,
    channels[0] as number,
  );
  const skips: { value: string; channels: number }[] = [{ value: h, channels: channels[0] as number }];
  let current = channels[0] as number;
  for (let level = 0; level < levels; level++) {
    const out = channels[level] as number;
    for (let j = 0; j < config.layersPerBlock; j++) {
      h = resnet(h, `down_blocks.${level}.resnets.${j}`, j === 0 ? current : out, out);
      if (config.crossAttention[level])
        h = transformer(h, `down_blocks.${level}.attentions.${j}`, out, level);
      skips.push({ value: h, channels: out });
    }
    current = out;
    if (level < levels - 1) {
      h = conv2d(ctx, h, `down_blocks.${level}.downsamplers.0.conv`, out, out, { stride: 2 });
      skips.push({ value: h, channels: out });
    }
  }

  h = resnet(h, "mid_block.resnets.0", current, current);
  h = transformer(h, "mid_block.attentions.0", current, levels - 1);
  h = resnet(h, "mid_block.resnets.1", current, current);

  for (let up = 0; up < levels; up++) {
    const level = levels - 1 - up;
    const out = channels[level] as number;
    for (let j = 0; j <= config.layersPerBlock; j++) {
      const skip = skips.pop();
      if (skip === undefined) throw new Error("unet: ran out of skip connections");
      h = g.node("Concat", [h, skip.value], { axis: channelAxis(ctx) });
      h = resnet(h, `up_blocks.${up}.resnets.${j}`, current + skip.channels, out);
      if (config.crossAttention[level]) h = transformer(h, `up_blocks.${up}.attentions.${j}`, out, level);
      current = out;
    }
    if (up < levels - 1) {
      const next = skips[skips.length - 1];
      if (next === undefined) throw new Error("unet: no skip to upsample to");
      h = conv2d(
        ctx,
        resizeNearestTo(g, h, next.value, fused),
        `up_blocks.${up}.upsamplers.0.conv`,
        out,
        out,
      );
    }
  }

  const normed = groupNorm(ctx, h, "conv_norm_out", current, groups, { silu: true });
  let out = conv2d(ctx, normed, "conv_out", current, config.outChannels, { gain: tiny?.outGain ?? 1 });
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
  return g.encode();
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

interface TransformerOptions {
  heads: number;
  layers: number;
  contextDim: number;
  linearProjection: boolean;
  groups: number;
  crossAttentionGain: number;
}

/**
 * diffusers' `Transformer2DModel` (continuous input): GroupNorm (eps 1e-6), proj_in, `layers`
 * `BasicTransformerBlock`s (self-attention, cross-attention on the text, GEGLU feed-forward with
 * inner width 4·dim, each pre-LayerNorm with a residual), proj_out, residual.
 */
function transformer2D(
  ctx: LayerContext,
  x: string,
  context: string,
  name: string,
  dim: number,
  options: TransformerOptions,
): string {
  const { g } = ctx;
  const normed = groupNorm(ctx, x, `${name}.norm`, dim, options.groups, { epsilon: 1e-6 });
  // [B, C, H, W] → [B, H·W, C]; an NHWC trunk's pixels are tokens already.
  const toTokens = (value: string) =>
    isFused(ctx)
      ? g.node("Reshape", [value, g.int64s([0, -1, dim])])
      : g.node("Transpose", [g.node("Reshape", [value, g.int64s([0, dim, -1])])], { perm: [0, 2, 1] });
  let tokens = options.linearProjection
    ? linear(ctx, toTokens(normed), `${name}.proj_in`, dim, dim)
    : toTokens(conv2d(ctx, normed, `${name}.proj_in`, dim, dim, { kernel: 1 }));
  for (let i = 0; i < options.layers; i++)
    tokens = basicTransformerBlock(ctx, tokens, context, `${name}.transformer_blocks.${i}`, dim, options);
  const toSpatial = (value: string) =>
    isFused(ctx)
      ? g.node("Reshape", [value, g.node("Shape", [x])])
      : g.node("Reshape", [g.node("Transpose", [value], { perm: [0, 2, 1] }), g.node("Shape", [x])]);
  const projected = options.linearProjection
    ? toSpatial(linear(ctx, tokens, `${name}.proj_out`, dim, dim))
    : conv2d(ctx, toSpatial(tokens), `${name}.proj_out`, dim, dim, { kernel: 1 });
  return g.node("Add", [projected, x]);
}

function basicTransformerBlock(
  ctx: LayerContext,
  tokens: string,
  context: string,
  name: string,
  dim: number,
  options: TransformerOptions,
): string {
  if (isFused(ctx)) return fusedTransformerBlock(ctx, tokens, context, name, dim, options);
  const { g } = ctx;
  const norm1 = layerNorm(ctx, tokens, `${name}.norm1`, dim);
  let x = g.node("Add", [
    tokens,
    attention(ctx, norm1, norm1, `${name}.attn1`, dim, { heads: options.heads }),
  ]);
  const norm2 = layerNorm(ctx, x, `${name}.norm2`, dim);
  const cross = attention(ctx, norm2, context, `${name}.attn2`, dim, {
    heads: options.heads,
    contextDim: options.contextDim,
    outGain: options.crossAttentionGain,
  });
  x = g.node("Add", [x, cross]);
  const norm3 = layerNorm(ctx, x, `${name}.norm3`, dim);
  // GEGLU (diffusers' attention.py): one projection to 2·inner, split into value and gate.
  const inner = 4 * dim;
  const [value, gate] = g.nodeMulti(
    "Split",
    [linear(ctx, norm3, `${name}.ff.net.0.proj`, dim, 2 * inner), g.int64s([inner, inner])],
    2,
    { axis: -1 },
  );
  const geglu = g.node("Mul", [value as string, gelu(ctx, gate as string)]);
  return g.node("Add", [x, linear(ctx, geglu, `${name}.ff.net.2`, inner, dim)]);
}

/**
 * `BasicTransformerBlock` as onnxruntime's optimiser leaves it: LayerNormalization, MultiHeadAttention
 * on packed QKV, SkipLayerNormalization (adding to_out's bias and the residual), MultiHeadAttention on
 * the query and packed text KV, SkipLayerNormalization, then the BiasSplitGelu feed-forward and a
 * BiasAdd residual.
 */
function fusedTransformerBlock(
  ctx: LayerContext,
  tokens: string,
  context: string,
  name: string,
  dim: number,
  options: TransformerOptions,
): string {
  const norm1 = layerNorm(ctx, tokens, `${name}.norm1`, dim);
  const self = packedSelfAttention(ctx, norm1, `${name}.attn1`, dim, options.heads);
  const selfBias = linearBias(ctx, `${name}.attn1.to_out.0`, dim);
  const [norm2, afterSelf] = skipLayerNorm(ctx, self, tokens, selfBias, `${name}.norm2`, dim);
  const cross = packedCrossAttention(
    ctx,
    norm2,
    context,
    `${name}.attn2`,
    dim,
    options.contextDim,
    options.heads,
    options.crossAttentionGain,
  );
  const crossBias = linearBias(ctx, `${name}.attn2.to_out.0`, dim);
  const [norm3, afterCross] = skipLayerNorm(ctx, cross, afterSelf, crossBias, `${name}.norm3`, dim);
  return gegluFeedForward(ctx, norm3, afterCross, `${name}.ff`, dim, 4 * dim);
}
