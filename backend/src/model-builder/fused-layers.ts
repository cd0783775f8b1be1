/**
 * onnxruntime's `com.microsoft` contrib operators, emitted where its Stable Diffusion optimiser
 * (onnxruntime/python/tools/transformers/onnx_model_unet.py and the fusion_*.py files it runs) would
 * leave them after fusing a torch export. Schemas: onnxruntime/core/graph/contrib_ops/bert_defs.cc and
 * diffusion_defs.cc. Every weight here has the values the standard layers draw for the same name,
 * rearranged (packed, transposed) as the optimiser rearranges them.
 *
 * Per-request LoRA (lora-inputs.ts) takes the same inputs, named by the same modules, as in the
 * standard graph: a packed projection adds each part's `x·down·up` to its slice of the packed output,
 * and the `Attention` op, which projects inside the kernel, gets its packed weight plus each part's
 * `down·up` (see `attentionOp`).
 */
import { float } from "./graph.ts";
import { linearAdapterInputs, lowRankDelta } from "./lora-inputs.ts";
import {
  CONTRIB_DOMAIN,
  groupNormAffine,
  type LayerContext,
  linear,
  linearBias,
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
  const perHead = (value: string, count: number) =>
    g.node("Reshape", [value, g.int64s([0, 0, heads, count, headDim])]);
  const packed = perHead(g.node("MatMul", [x, weight]), parts);
  const deltas = names.map((name) => lowRankDelta(g, x, name, inFeatures, dim));
  if (deltas.every((delta) => delta === undefined)) return packed;
  // the adapters' products laid out as the weights are packed: per head, the parts side by side
  const packedDeltas = deltas.map((delta, part) => {
    if (delta === undefined)
      throw new Error(
        `${names[part]}: a packed projection needs LoRA inputs on all of ${names.join(", ")} or none`,
      );
    return perHead(delta, 1);
  });
  return g.node("Add", [packed, g.node("Concat", packedDeltas, { axis: 3 })]);
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
  return linear(ctx, attended, `${name}.to_out.0`, dim, dim, { bias: false });
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
  const query = linear(ctx, x, `${name}.to_q`, dim, dim, { bias: false });
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
  return linear(ctx, attended, `${name}.to_out.0`, dim, dim, { bias: false, gain: outGain });
}

export interface AttentionOpOptions {
  heads: number;
  /** CLIP's causal mask (`unidirectional=1`). */
  causal?: boolean;
}

/**
 * Biased self-attention as the `Attention` op (input, [C, 3C] weights with Q | K | V stacked on the
 * second axis, [3C] bias), as `FusionAttentionClip` and `FusionAttentionVae` write it; returns the
 * heads' output before the output projection. The op projects inside its kernel, so LoRA adapters on
 * Q, K and V go into the weight: `W + [down_q·up_q | down_k·up_k | down_v·up_v]`, a [C, 3C] sum per
 * call (C·r·3C multiply-adds, small beside the projection of the tokens), equal to adding `x·down·up`.
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
    [x, withAdapters(ctx, weight, parts, dim), bias],
    { num_heads: options.heads, ...(options.causal === true ? { unidirectional: 1 } : {}) },
    undefined,
    CONTRIB_DOMAIN,
  );
}

/** The packed Q | K | V weight plus each part's `down·up`, when the parts have LoRA inputs. */
function withAdapters(ctx: LayerContext, weight: string, parts: readonly string[], dim: number): string {
  const { g } = ctx;
  const adapters = parts.map((part) => linearAdapterInputs(g, part, dim, dim));
  if (adapters.every((adapter) => adapter === undefined)) return weight;
  const products = adapters.map((adapter, index) => {
    if (adapter === undefined)
      throw new Error(
        `${parts[index]}: the Attention op needs LoRA inputs on all of ${parts.join(", ")} or none`,
      );
    return g.node("MatMul", [adapter.down, adapter.up]);
  });
  return g.node("Add", [weight, g.node("Concat", products, { axis: 1 })]);
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
  const projected = linear(ctx, x, `${name}.net.0.proj`, dim, 2 * inner, { bias: false });
  const gated = g.node(
    "BiasSplitGelu",
    [projected, linearBias(ctx, `${name}.net.0.proj`, 2 * inner)],
    {},
    undefined,
    CONTRIB_DOMAIN,
  );
  const out = linear(ctx, gated, `${name}.net.2`, inner, dim, { bias: false });
  return g.node(
    "BiasAdd",
    [out, linearBias(ctx, `${name}.net.2`, dim), residual],
    {},
    undefined,
    CONTRIB_DOMAIN,
  );
}
