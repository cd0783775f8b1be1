import { float, type GraphBuilder } from "./graph.ts";
import type { WeightSource } from "./weights.ts";

/**
 * Torch-style layers as the ONNX subgraphs `torch.onnx.export` writes for them, with weights scaled by
 * 1/√fan_in (times a gain) so activations keep a sane magnitude through a random network.
 */
export interface LayerContext {
  readonly g: GraphBuilder;
  readonly weights: WeightSource;
  /**
   * Which operators attention and GroupNorm are written with. Only `"standard"` (the ONNX ops torch's
   * exporter writes) exists today; onnxruntime's fused `com.microsoft` MultiHeadAttention and GroupNorm,
   * as its SD optimiser emits them for CUDA, would be a second value switched on in `attention` and
   * `groupNorm` (after `g.importDomain("com.microsoft", 1)`).
   */
  readonly operators?: OperatorSet;
}

export type OperatorSet = "standard";

/** A normal(0, std) weight tensor made only when the graph's sink asks for its bytes. */
function normalParameter(
  ctx: LayerContext,
  name: string,
  dims: readonly number[],
  std: number,
  map?: (value: number) => number,
): string {
  const count = dims.reduce((a, b) => a * b, 1);
  return ctx.g.parameter(name, dims, () => {
    const values = ctx.weights.normal(name, count, std);
    return map === undefined ? values : values.map(map);
  });
}

export interface LinearOptions {
  bias?: boolean;
  gain?: number;
}

/** `nn.Linear` over the last axis: MatMul with the transposed weight, then Add. */
export function linear(
  ctx: LayerContext,
  x: string,
  name: string,
  inFeatures: number,
  outFeatures: number,
  options: LinearOptions = {},
): string {
  const std = (options.gain ?? 1) / Math.sqrt(inFeatures);
  const weight = normalParameter(ctx, `${name}.weight`, [inFeatures, outFeatures], std);
  const product = ctx.g.node("MatMul", [x, weight]);
  if (options.bias === false) return product;
  const bias = normalParameter(ctx, `${name}.bias`, [outFeatures], 0.02);
  return ctx.g.node("Add", [product, bias]);
}

export interface ConvOptions {
  kernel?: number;
  stride?: number;
  gain?: number;
  /** [top, left, bottom, right]; "same" padding for odd kernels by default. */
  pads?: readonly [number, number, number, number];
}

/** `nn.Conv2d`, by default with "same" padding for odd kernels. */
export function conv2d(
  ctx: LayerContext,
  x: string,
  name: string,
  inChannels: number,
  outChannels: number,
  options: ConvOptions = {},
): string {
  const kernel = options.kernel ?? 3;
  const pad = Math.floor(kernel / 2);
  const fanIn = inChannels * kernel * kernel;
  const weight = normalParameter(
    ctx,
    `${name}.weight`,
    [outChannels, inChannels, kernel, kernel],
    (options.gain ?? 1) / Math.sqrt(fanIn),
  );
  const bias = normalParameter(ctx, `${name}.bias`, [outChannels], 0.02);
  return ctx.g.node("Conv", [x, weight, bias], {
    kernel_shape: [kernel, kernel],
    pads: options.pads ?? [pad, pad, pad, pad],
    strides: [options.stride ?? 1, options.stride ?? 1],
  });
}

/** Affine parameters near (1, 0), as a lightly trained norm layer has them. */
function normAffine(
  ctx: LayerContext,
  name: string,
  channels: number,
  dims: readonly number[],
): [string, string] {
  if (dims.reduce((a, b) => a * b, 1) !== channels)
    throw new Error(`norm ${name}: dims [${dims}] do not hold ${channels} channels`);
  return [
    normalParameter(ctx, `${name}.weight`, dims, 0.1, (v) => 1 + v),
    normalParameter(ctx, `${name}.bias`, dims, 0.1),
  ];
}

/**
 * `nn.GroupNorm` as torch exports it: Reshape to [N, groups, -1], InstanceNormalization with unit
 * scale, Reshape back, then the per-channel affine as Mul and Add (ORT's GroupNormalization op is
 * not available everywhere).
 */
export function groupNorm(
  ctx: LayerContext,
  x: string,
  name: string,
  channels: number,
  groups: number,
  epsilon = 1e-5,
): string {
  const { g } = ctx;
  const grouped = g.node("Reshape", [x, g.int64s([0, groups, -1])]);
  const ones = g.floats(new Array(groups).fill(1));
  const zeros = g.floats(new Array(groups).fill(0));
  const normed = g.node("InstanceNormalization", [grouped, ones, zeros], { epsilon: float(epsilon) });
  const restored = g.node("Reshape", [normed, g.node("Shape", [x])]);
  const [scale, shift] = normAffine(ctx, name, channels, [channels, 1, 1]);
  return g.node("Add", [g.node("Mul", [restored, scale]), shift]);
}

/** `nn.LayerNorm` over the last axis (opset 17's LayerNormalization). */
export function layerNorm(
  ctx: LayerContext,
  x: string,
  name: string,
  features: number,
  epsilon = 1e-5,
): string {
  const [scale, shift] = normAffine(ctx, name, features, [features]);
  return ctx.g.node("LayerNormalization", [x, scale, shift], { axis: -1, epsilon: float(epsilon) });
}

/** `x * sigmoid(x)`. */
export function silu(ctx: LayerContext, x: string): string {
  return ctx.g.node("Mul", [x, ctx.g.node("Sigmoid", [x])]);
}

/** CLIP's `x * sigmoid(1.702 x)`. */
export function quickGelu(ctx: LayerContext, x: string): string {
  const { g } = ctx;
  return g.node("Mul", [x, g.node("Sigmoid", [g.node("Mul", [x, g.floats([1.702], [])])])]);
}

/** Exact GELU as torch exports it before opset 20: `0.5 x (1 + erf(x / √2))`. */
export function gelu(ctx: LayerContext, x: string): string {
  const { g } = ctx;
  const erf = g.node("Erf", [g.node("Div", [x, g.floats([Math.SQRT2], [])])]);
  const onePlus = g.node("Add", [erf, g.floats([1], [])]);
  return g.node("Mul", [g.node("Mul", [x, onePlus]), g.floats([0.5], [])]);
}

export interface AttentionOptions {
  heads: number;
  /** Width of the tokens attended to, when they differ from the queries (cross-attention). */
  contextDim?: number;
  /** An additive [1, 1, T, T] mask, for CLIP's causal attention. */
  mask?: string;
  bias?: boolean;
  outGain?: number;
}

/**
 * Multi-head scaled dot-product attention over [B, T, C] queries and [B, S, C'] context, with the
 * projections diffusers' `Attention` and CLIP's `CLIPAttention` have.
 */
export function attention(
  ctx: LayerContext,
  x: string,
  context: string,
  name: string,
  dim: number,
  options: AttentionOptions,
): string {
  const { g } = ctx;
  const { heads } = options;
  const headDim = dim / heads;
  const contextDim = options.contextDim ?? dim;
  const bias = options.bias ?? false;
  const toHeads = (value: string) =>
    g.node("Transpose", [g.node("Reshape", [value, g.int64s([0, -1, heads, headDim])])], {
      perm: [0, 2, 1, 3],
    });
  const q = toHeads(linear(ctx, x, `${name}.to_q`, dim, dim, { bias }));
  const k = toHeads(linear(ctx, context, `${name}.to_k`, contextDim, dim, { bias }));
  const v = toHeads(linear(ctx, context, `${name}.to_v`, contextDim, dim, { bias }));
  const kT = g.node("Transpose", [k], { perm: [0, 1, 3, 2] });
  let scores = g.node("Mul", [g.node("MatMul", [q, kT]), g.floats([1 / Math.sqrt(headDim)], [])]);
  if (options.mask !== undefined) scores = g.node("Add", [scores, options.mask]);
  const weightsOut = g.node("MatMul", [g.node("Softmax", [scores], { axis: -1 }), v]);
  const merged = g.node("Reshape", [
    g.node("Transpose", [weightsOut], { perm: [0, 2, 1, 3] }),
    g.int64s([0, -1, dim]),
  ]);
  return linear(ctx, merged, `${name}.to_out.0`, dim, dim, { gain: options.outGain ?? 1 });
}
