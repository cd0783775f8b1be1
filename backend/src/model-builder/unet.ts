import { skipGroupNorm } from "./fused-layers.ts";
import type { GraphBuilder } from "./graph.ts";
import { type Dim, GraphBuilder as Graph, type GraphOptions } from "./graph.ts";
import {
  attention,
  conv2d,
  gelu,
  groupNorm,
  isFused,
  type LayerContext,
  layerNorm,
  linear,
  silu,
} from "./nn.ts";
import type { WeightSource } from "./weights.ts";

export interface UNetShape {
  latentChannels: number;
  /** Channels at full and half latent resolution. */
  channels: readonly [number, number];
  timeProjDim: number;
  timeEmbedDim: number;
  contextDim: number;
  heads: number;
  groups: number;
  /** Gain of conv_out: how far the noise prediction departs from its input. */
  outGain: number;
  /** Weight of the input sample added to the output (see `buildUNet`). */
  inputSkipGain: number;
  /** How the timestep input is declared; diffusers' exports use float32 `[batch]`, others int64 or `[1]`. */
  timestep?: { type: "float" | "int64"; dims: readonly Dim[] };
  /** The batch dimension; some exports fix it at 1. */
  batch?: Dim;
}

/**
 * A two-level `UNet2DConditionModel`: sinusoidal timestep embedding and its MLP, conv_in, ResNet blocks
 * (GroupNorm, SiLU, the time embedding added), a stride-2 downsample, spatial transformers with self-
 * and cross-attention on `encoder_hidden_states` at the low resolution, nearest upsampling to the skip's
 * size, skip concatenation and conv_out. Batch, height and width are dynamic.
 *
 * Unlike a real UNet, the output also adds the (scaled) input sample: a trained UNet's noise prediction
 * tracks the noise in its input, and this skip gives a random one that property, so the Euler
 * trajectory stays bounded and the prompt-dependent remainder shapes the image.
 */
export function buildUNet(weights: WeightSource, shape: UNetShape, graph: GraphOptions = {}): Uint8Array {
  const g = new Graph("unet", graph);
  const ctx: LayerContext = { g, weights };
  const [c0, c1] = shape.channels;
  const batch = shape.batch ?? "batch";
  const sample = g.input("sample", "float", [batch, shape.latentChannels, "height", "width"]);
  const timestepSpec = shape.timestep ?? { type: "float", dims: ["batch"] };
  const timestepInput = g.input("timestep", timestepSpec.type, timestepSpec.dims);
  const timestep = timestepSpec.type === "float" ? timestepInput : g.node("Cast", [timestepInput], { to: 1 });
  const context = g.input("encoder_hidden_states", "float", [batch, "sequence", shape.contextDim]);

  const temb = timeEmbedding(ctx, timestep, shape);
  const resnet = (x: string, name: string, cin: number, cout: number) =>
    resnetBlock(ctx, x, name, cin, cout, shape.groups, temb, shape.timeEmbedDim);
  const transformer = (x: string, name: string, channels: number) =>
    spatialTransformer(ctx, x, context, name, channels, shape);

  const h = conv2d(ctx, sample, "conv_in", shape.latentChannels, c0);
  const skipHigh = resnet(h, "down_blocks.0.resnets.0", c0, c0);
  const down = conv2d(ctx, skipHigh, "down_blocks.0.downsamplers.0.conv", c0, c0, { stride: 2 });
  const skipLow = transformer(
    resnet(down, "down_blocks.1.resnets.0", c0, c1),
    "down_blocks.1.attentions.0",
    c1,
  );

  const mid = transformer(resnet(skipLow, "mid_block.resnets.0", c1, c1), "mid_block.attentions.0", c1);

  let up = g.node("Concat", [mid, skipLow], { axis: 1 });
  up = transformer(resnet(up, "up_blocks.0.resnets.0", 2 * c1, c1), "up_blocks.0.attentions.0", c1);
  up = conv2d(ctx, resizeNearestTo(g, up, skipHigh), "up_blocks.0.upsamplers.0.conv", c1, c1);
  up = g.node("Concat", [up, skipHigh], { axis: 1 });
  up = resnet(up, "up_blocks.1.resnets.0", c1 + c0, c0);

  const normed = groupNorm(ctx, up, "conv_norm_out", c0, shape.groups, { silu: true });
  const residual = conv2d(ctx, normed, "conv_out", c0, shape.latentChannels, { gain: shape.outGain });
  const skip = g.node("Mul", [sample, g.floats([shape.inputSkipGain], [])]);
  g.output(
    g.node("Add", [residual, skip]),
    "float",
    ["batch", shape.latentChannels, "height", "width"],
    "out_sample",
  );
  return g.encode();
}

/** diffusers' `Timesteps(flip_sin_to_cos=True, downscale_freq_shift=0)` then `TimestepEmbedding`. */
function timeEmbedding(ctx: LayerContext, timestep: string, shape: UNetShape): string {
  const { g } = ctx;
  const half = shape.timeProjDim / 2;
  const frequencies = Array.from({ length: half }, (_, i) => Math.exp((-Math.log(10000) * i) / half));
  const angles = g.node("Mul", [
    g.node("Unsqueeze", [timestep, g.int64s([1])]),
    g.floats(frequencies, [1, half]),
  ]);
  const projected = g.node("Concat", [g.node("Cos", [angles]), g.node("Sin", [angles])], { axis: 1 });
  const hidden = silu(
    ctx,
    linear(ctx, projected, "time_embedding.linear_1", shape.timeProjDim, shape.timeEmbedDim),
  );
  return linear(ctx, hidden, "time_embedding.linear_2", shape.timeEmbedDim, shape.timeEmbedDim);
}

/**
 * diffusers' `ResnetBlock2D`; without `temb` it is the VAE's variant. `epsilon` is the GroupNorms'
 * (1e-5 in the UNet, 1e-6 in the VAE).
 */
export function resnetBlock(
  ctx: LayerContext,
  x: string,
  name: string,
  inChannels: number,
  outChannels: number,
  groups: number,
  temb?: string,
  tembDim?: number,
  epsilon = 1e-5,
): string {
  const { g } = ctx;
  let h = conv2d(
    ctx,
    groupNorm(ctx, x, `${name}.norm1`, inChannels, groups, { epsilon, silu: true }),
    `${name}.conv1`,
    inChannels,
    outChannels,
  );
  const projected =
    temb !== undefined && tembDim !== undefined
      ? linear(ctx, silu(ctx, temb), `${name}.time_emb_proj`, tembDim, outChannels)
      : undefined;
  if (projected !== undefined && isFused(ctx)) {
    // onnxruntime's SkipGroupNorm takes the [N, C] time embedding as its skip, so the broadcast
    // add, GroupNorm and SiLU are one kernel (fusion_skip_group_norm.py).
    h = skipGroupNorm(ctx, h, projected, `${name}.norm2`, outChannels, groups, epsilon);
  } else {
    if (projected !== undefined) h = g.node("Add", [h, g.node("Unsqueeze", [projected, g.int64s([2, 3])])]);
    h = groupNorm(ctx, h, `${name}.norm2`, outChannels, groups, { epsilon, silu: true });
  }
  h = conv2d(ctx, h, `${name}.conv2`, outChannels, outChannels, { gain: 0.5 });
  const shortcut =
    inChannels === outChannels
      ? x
      : conv2d(ctx, x, `${name}.conv_shortcut`, inChannels, outChannels, { kernel: 1 });
  return g.node("Add", [shortcut, h]);
}

/**
 * SD 1.5's `Transformer2DModel` with one `BasicTransformerBlock`: GroupNorm, 1×1 proj_in, tokens of
 * the pixels, self-attention, cross-attention on the text, a GEGLU feed-forward, proj_out, residual.
 */
function spatialTransformer(
  ctx: LayerContext,
  x: string,
  context: string,
  name: string,
  channels: number,
  shape: UNetShape,
): string {
  const { g } = ctx;
  const block = `${name}.transformer_blocks.0`;
  const normed = groupNorm(ctx, x, `${name}.norm`, channels, shape.groups, { epsilon: 1e-6 });
  const projected = conv2d(ctx, normed, `${name}.proj_in`, channels, channels, { kernel: 1 });
  // [B, C, H, W] → [B, H·W, C]
  let tokens = g.node("Transpose", [g.node("Reshape", [projected, g.int64s([0, channels, -1])])], {
    perm: [0, 2, 1],
  });
  const norm1 = layerNorm(ctx, tokens, `${block}.norm1`, channels);
  tokens = g.node("Add", [
    tokens,
    attention(ctx, norm1, norm1, `${block}.attn1`, channels, { heads: shape.heads }),
  ]);
  const norm2 = layerNorm(ctx, tokens, `${block}.norm2`, channels);
  const cross = attention(ctx, norm2, context, `${block}.attn2`, channels, {
    heads: shape.heads,
    contextDim: shape.contextDim,
    outGain: 2,
  });
  tokens = g.node("Add", [tokens, cross]);
  const norm3 = layerNorm(ctx, tokens, `${block}.norm3`, channels);
  const inner = channels * 2;
  const [value, gate] = g.nodeMulti(
    "Split",
    [linear(ctx, norm3, `${block}.ff.net.0.proj`, channels, 2 * inner), g.int64s([inner, inner])],
    2,
    { axis: -1 },
  );
  const geglu = g.node("Mul", [value as string, gelu(ctx, gate as string)]);
  tokens = g.node("Add", [tokens, linear(ctx, geglu, `${block}.ff.net.2`, inner, channels)]);
  // [B, H·W, C] → [B, C, H, W]
  const spatial = g.node("Reshape", [
    g.node("Transpose", [tokens], { perm: [0, 2, 1] }),
    g.node("Shape", [x]),
  ]);
  return g.node("Add", [conv2d(ctx, spatial, `${name}.proj_out`, channels, channels, { kernel: 1 }), x]);
}

/**
 * `F.interpolate(x, size=like.shape[-2:], mode="nearest")` as torch exports it; with `nhwc`, the same
 * on NHWC activations (sizes [N, H', W', C]).
 */
export function resizeNearestTo(g: GraphBuilder, x: string, like: string, nhwc = false): string {
  const dims = (value: string, start: number, end: number) =>
    g.node("Slice", [g.node("Shape", [value]), g.int64s([start]), g.int64s([end])]);
  const sizes = nhwc
    ? g.node("Concat", [dims(x, 0, 1), dims(like, 1, 3), dims(x, 3, 4)], { axis: 0 })
    : g.node("Concat", [dims(x, 0, 2), dims(like, 2, 4)], { axis: 0 });
  return g.node("Resize", [x, "", "", sizes], { ...NEAREST });
}

/** Torch's nearest-neighbour interpolation in ONNX Resize terms. */
export const NEAREST = {
  mode: "nearest",
  coordinate_transformation_mode: "asymmetric",
  nearest_mode: "floor",
} as const;

/** `F.interpolate(x, scale_factor=2, mode="nearest")`, on NCHW or (`nhwc`) NHWC activations. */
export function upsampleNearest2x(g: GraphBuilder, x: string, nhwc = false): string {
  const scales = nhwc ? [1, 2, 2, 1] : [1, 1, 2, 2];
  return g.node("Resize", [x, "", g.floats(scales, [4], "float")], { ...NEAREST });
}
