import {
  gegluFeedForward,
  packedCrossAttention,
  packedSelfAttention,
  skipLayerNorm,
} from "./fused-layers.ts";
import {
  attention,
  conv2d,
  gelu,
  groupNorm,
  isFused,
  type LayerContext,
  layerNorm,
  linear,
  linearBias,
} from "./nn.ts";

export interface TransformerOptions {
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
export function transformer2D(
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
