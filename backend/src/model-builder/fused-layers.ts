/**
 * onnxruntime's `com.microsoft` contrib operators, emitted where its Stable Diffusion optimiser
 * (onnxruntime/python/tools/transformers/onnx_model_unet.py and the fusion_*.py files it runs) would
 * leave them after fusing a torch export. Schemas: onnxruntime/core/graph/contrib_ops/bert_defs.cc and
 * diffusion_defs.cc. Every weight here has the values the standard layers draw for the same name,
 * rearranged (packed, transposed) as the optimiser rearranges them.
 */
import { float } from "./graph.ts";
import {
  CONTRIB_DOMAIN,
  groupNormAffine,
  type LayerContext,
  linearBias,
  linearWeight,
  linearWeightValues,
} from "./nn.ts";

/** NCHW → NHWC at the entry of a fused trunk. */
export function toNhwc(ctx: LayerContext, x: string): string {
  return ctx.g.node("Transpose", [x], { perm: [0, 2, 3, 1] });
}

/** NHWC → NCHW at the exit of a fused trunk. */
export function toNchw(ctx: LayerContext, x: string): string {
  return ctx.g.node("Transpose", [x], { perm: [0, 3, 1, 2] });
}

/**
 * SkipGroupNorm: `GroupNorm(x + skip)` then SiLU, with an [N, C] skip broadcast over H and W (the
 * ResNet's time embedding), NHWC.
 */
export function skipGroupNorm(
  ctx: LayerContext,
  x: string,
  skip: string,
  name: string,
  channels: number,
  groups: number,
  epsilon: number,
): string {
  const [gamma, beta] = groupNormAffine(ctx, name, channels);
  return ctx.g.node(
    "SkipGroupNorm",
    [x, gamma, beta, skip],
    { epsilon: float(epsilon), groups, activation: 1, channels_last: 1 },
    undefined,
    CONTRIB_DOMAIN,
  );
}

/**
 * Two or three bias-free projections of one input as one MatMul whose output reshapes to
 * [B, S, heads, parts, headDim]: the weights interleaved per head, as `FusionAttentionUnet` packs them
 * (`np.dstack([qw.reshape(c, n, h), kw.reshape(c, n, h), ...]).reshape(c, n * parts * h)`).
 */
function packedProjection(
  ctx: LayerContext,
  x: string,
  packedName: string,
  names: readonly string[],
  inFeatures: number,
  dim: number,
  heads: number,
): string {
  const { g } = ctx;
  const headDim = dim / heads;
  const parts = names.length;
  const weight = g.parameter(`${packedName}.weight`, [inFeatures, dim * parts], () => {
    const sources = names.map((name) => linearWeightValues(ctx, name, inFeatures, dim));
    const packed = new Float32Array(inFeatures * dim * parts);
    for (let c = 0; c < inFeatures; c++)
      for (let n = 0; n < heads; n++)
        sources.forEach((source, part) => {
          const from = c * dim + n * headDim;
          packed.set(source.subarray(from, from + headDim), c * dim * parts + (n * parts + part) * headDim);
        });
    return packed;
  });
  return g.node("Reshape", [g.node("MatMul", [x, weight]), g.int64s([0, 0, heads, parts, headDim])]);
}

/**
 * diffusers' self-attention (`attn1`) as MultiHeadAttention on packed QKV, without the output
 * projection's bias (the following SkipLayerNormalization adds it).
 */
export function packedSelfAttention(
  ctx: LayerContext,
  x: string,
  name: string,
  dim: number,
  heads: number,
): string {
  const qkv = packedProjection(
    ctx,
    x,
    `${name}.to_qkv`,
    [`${name}.to_q`, `${name}.to_k`, `${name}.to_v`],
    dim,
    dim,
    heads,
  );
  const attended = ctx.g.node("MultiHeadAttention", [qkv], { num_heads: heads }, undefined, CONTRIB_DOMAIN);
  return ctx.g.node("MatMul", [attended, linearWeight(ctx, `${name}.to_out.0`, dim, dim)]);
}

/**
 * diffusers' cross-attention (`attn2`) as MultiHeadAttention on the query and packed KV of the text,
 * without the output projection's bias.
 */
export function packedCrossAttention(
  ctx: LayerContext,
  x: string,
  context: string,
  name: string,
  dim: number,
  contextDim: number,
  heads: number,
  outGain: number,
): string {
  const { g } = ctx;
  const query = g.node("MatMul", [x, linearWeight(ctx, `${name}.to_q`, dim, dim)]);
  const kv = packedProjection(
    ctx,
    context,
    `${name}.to_kv`,
    [`${name}.to_k`, `${name}.to_v`],
    contextDim,
    dim,
    heads,
  );
  const attended = g.node("MultiHeadAttention", [query, kv], { num_heads: heads }, undefined, CONTRIB_DOMAIN);
  return g.node("MatMul", [attended, linearWeight(ctx, `${name}.to_out.0`, dim, dim, outGain)]);
}

export interface AttentionOpOptions {
  heads: number;
  /** CLIP's causal mask (`unidirectional=1`). */
  causal?: boolean;
}

/**
 * Biased self-attention as the `Attention` op (input, [C, 3C] weights with Q | K | V stacked on the
 * second axis, [3C] bias), as `FusionAttentionClip` and `FusionAttentionVae` write it; returns the
 * heads' output before the output projection.
 */
export function attentionOp(
  ctx: LayerContext,
  x: string,
  name: string,
  dim: number,
  options: AttentionOpOptions,
): string {
  const { g } = ctx;
  const parts = ["to_q", "to_k", "to_v"].map((p) => `${name}.${p}`);
  const weight = g.parameter(`${name}.qkv.weight`, [dim, 3 * dim], () => {
    const sources = parts.map((p) => linearWeightValues(ctx, p, dim, dim));
    const packed = new Float32Array(dim * 3 * dim);
    for (let c = 0; c < dim; c++)
      sources.forEach((source, part) => {
        packed.set(source.subarray(c * dim, (c + 1) * dim), c * 3 * dim + part * dim);
      });
    return packed;
  });
  const bias = g.parameter(`${name}.qkv.bias`, [3 * dim], () => {
    const packed = new Float32Array(3 * dim);
    parts.forEach((p, part) => {
      packed.set(ctx.weights.normal(`${p}.bias`, dim, 0.02, { torchShape: [dim] }), part * dim);
    });
    return packed;
  });
  return g.node(
    "Attention",
    [x, weight, bias],
    { num_heads: options.heads, ...(options.causal === true ? { unidirectional: 1 } : {}) },
    undefined,
    CONTRIB_DOMAIN,
  );
}

/**
 * SkipLayerNormalization: `LayerNorm(x + skip + bias)` with the sum as a second output (its output 3,
 * `input_skip_bias_sum`), so the residual stream needs no separate Add. Returns [normed, sum].
 */
export function skipLayerNorm(
  ctx: LayerContext,
  x: string,
  skip: string,
  bias: string,
  name: string,
  features: number,
): [string, string] {
  const [gamma, beta] = [
    ctx.g.parameter(`${name}.weight`, [features], () =>
      ctx.weights.normal(`${name}.weight`, features, 0.1, { torchShape: [features], mean: 1 }),
    ),
    ctx.g.parameter(`${name}.bias`, [features], () =>
      ctx.weights.normal(`${name}.bias`, features, 0.1, { torchShape: [features] }),
    ),
  ];
  const base = `${name}.skip_layer_norm`;
  const [normed, , , sum] = ctx.g.nodeMulti(
    "SkipLayerNormalization",
    [x, skip, gamma, beta, bias],
    4,
    { epsilon: float(1e-5) },
    [`${base}.out`, "", "", `${base}.sum`],
    CONTRIB_DOMAIN,
  );
  return [normed as string, sum as string];
}

/**
 * diffusers' GEGLU feed-forward then the residual: `proj` MatMul, BiasSplitGelu (bias, split in half,
 * left × GELU(right)), `ff.net.2` MatMul, BiasAdd with the residual (fusion_biassplitgelu.py,
 * fusion_bias_add.py).
 */
export function gegluFeedForward(
  ctx: LayerContext,
  x: string,
  residual: string,
  name: string,
  dim: number,
  inner: number,
): string {
  const { g } = ctx;
  const projected = g.node("MatMul", [x, linearWeight(ctx, `${name}.net.0.proj`, dim, 2 * inner)]);
  const gated = g.node(
    "BiasSplitGelu",
    [projected, linearBias(ctx, `${name}.net.0.proj`, 2 * inner)],
    {},
    undefined,
    CONTRIB_DOMAIN,
  );
  const out = g.node("MatMul", [gated, linearWeight(ctx, `${name}.net.2`, inner, dim)]);
  return g.node(
    "BiasAdd",
    [out, linearBias(ctx, `${name}.net.2`, dim), residual],
    {},
    undefined,
    CONTRIB_DOMAIN,
  );
}
