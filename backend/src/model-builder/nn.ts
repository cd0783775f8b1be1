import { type FloatTypeName, float, type GraphBuilder } from "./graph.ts";
import { lowRankConv, lowRankLinear } from "./lora-inputs.ts";
import type { TensorRequest, Weights } from "./weights.ts";

/**
 * Torch-style layers as the ONNX subgraphs `torch.onnx.export` writes for them, with weights scaled by
 * 1/√fan_in (times a gain) so activations keep a sane magnitude through a random network.
 */
export interface LayerContext {
  readonly g: GraphBuilder;
  readonly weights: Weights;
  /**
   * Which operators the layers are written with (default `"standard"`): see `OperatorSet`. A fused
   * graph needs `g.importDomain("com.microsoft", 1)`, which `layerContext` does.
   */
  readonly operators?: OperatorSet;
}

/**
 * `"standard"`: the ONNX operators torch's exporter writes, for every execution provider.
 * `"fused"`: onnxruntime's `com.microsoft` contrib operators where its Stable Diffusion optimiser puts
 * them for the CUDA provider (onnxruntime/python/tools/transformers/onnx_model_unet.py with the
 * `FusionOptions` it uses for "unet", "vae" and "clip": NhwcConv, GroupNorm/SkipGroupNorm in NHWC with
 * SiLU, MultiHeadAttention with packed QKV/KV, Attention, SkipLayerNormalization, BiasSplitGelu, BiasAdd,
 * QuickGelu). The spatial trunk of a fused UNet or VAE is NHWC, transposed once at its input and output,
 * as the optimiser's NhwcConv conversion plus transpose merging leaves it. Same inputs, outputs and
 * weight values (rearranged as the optimiser rearranges them); several of these ops run only on CUDA.
 */
export type OperatorSet = "standard" | "fused";
export const OPERATOR_SETS: readonly OperatorSet[] = ["standard", "fused"];

/** A layer context for `g`, importing the contrib domain when the operators are fused. */
export function layerContext(g: GraphBuilder, weights: Weights, operators: OperatorSet = "standard") {
  if (operators === "fused") g.importDomain(CONTRIB_DOMAIN, 1);
  return { g, weights, operators } satisfies LayerContext;
}

/** onnxruntime's contrib operator domain. */
export const CONTRIB_DOMAIN = "com.microsoft";

export function isFused(ctx: LayerContext): boolean {
  return ctx.operators === "fused";
}

/** The channel axis of spatial activations: NHWC in a fused trunk, NCHW otherwise. */
export function channelAxis(ctx: LayerContext): 1 | 3 {
  return isFused(ctx) ? 3 : 1;
}

/**
 * A normal(0, std) weight tensor made only when the graph's sink asks for its bytes; `tensor` says how
 * a checkpoint holds it, `transform` rearranges the values drawn or read for `name` (so a rearranged
 * weight keeps the same values).
 */
export function normalParameter(
  ctx: LayerContext,
  name: string,
  dims: readonly number[],
  std: number,
  tensor: TensorRequest,
  transform?: (values: Float32Array) => Float32Array,
  type?: FloatTypeName,
): string {
  const count = dims.reduce((a, b) => a * b, 1);
  return ctx.g.parameter(
    name,
    dims,
    () => {
      const values = ctx.weights.normal(name, count, std, tensor);
      return transform === undefined ? values : transform(values);
    },
    type,
  );
}

/** The [in, out] weight values of `nn.Linear` `name`, as `linear` draws them. */
export function linearWeightValues(
  ctx: LayerContext,
  name: string,
  inFeatures: number,
  outFeatures: number,
  gain = 1,
): Float32Array {
  return ctx.weights.normal(`${name}.weight`, inFeatures * outFeatures, gain / Math.sqrt(inFeatures), {
    torchShape: [outFeatures, inFeatures],
    transpose: true,
  });
}

/** `nn.Linear`'s bias as `linear` draws it. */
export function linearBias(ctx: LayerContext, name: string, outFeatures: number): string {
  return normalParameter(ctx, `${name}.bias`, [outFeatures], 0.02, { torchShape: [outFeatures] });
}

/** `nn.Linear`'s weight as `linear` draws it, [in, out] for MatMul. */
export function linearWeight(
  ctx: LayerContext,
  name: string,
  inFeatures: number,
  outFeatures: number,
  gain = 1,
): string {
  return normalParameter(ctx, `${name}.weight`, [inFeatures, outFeatures], gain / Math.sqrt(inFeatures), {
    torchShape: [outFeatures, inFeatures],
    transpose: true,
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
  const weight = linearWeight(ctx, name, inFeatures, outFeatures, options.gain);
  const product = lowRankLinear(ctx.g, x, ctx.g.node("MatMul", [x, weight]), name, inFeatures, outFeatures);
  if (options.bias === false) return product;
  return ctx.g.node("Add", [product, linearBias(ctx, name, outFeatures)]);
}

export interface ConvOptions {
  kernel?: number;
  stride?: number;
  gain?: number;
  /** [top, left, bottom, right]; "same" padding for odd kernels by default. */
  pads?: readonly [number, number, number, number];
}

/**
 * `nn.Conv2d`, by default with "same" padding for odd kernels; in a fused graph onnxruntime's NhwcConv
 * on NHWC activations with the weight in [out, kH, kW, in] (`FusionNhwcConv(update_weight=True)`
 * transposes it so in onnxruntime/python/tools/transformers/fusion_nhwc_conv.py).
 */
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
  const std = (options.gain ?? 1) / Math.sqrt(fanIn);
  const fused = isFused(ctx);
  const torch = { torchShape: [outChannels, inChannels, kernel, kernel] };
  const weight = fused
    ? normalParameter(ctx, `${name}.weight`, [outChannels, kernel, kernel, inChannels], std, torch, (oihw) =>
        oihwToOhwi(oihw, outChannels, inChannels, kernel),
      )
    : normalParameter(ctx, `${name}.weight`, [outChannels, inChannels, kernel, kernel], std, torch);
  const bias = normalParameter(ctx, `${name}.bias`, [outChannels], 0.02, { torchShape: [outChannels] });
  const attributes = {
    kernel_shape: [kernel, kernel],
    pads: options.pads ?? [pad, pad, pad, pad],
    strides: [options.stride ?? 1, options.stride ?? 1],
  };
  const shape = { inChannels, outChannels, kernel };
  if (fused) {
    const convolved = ctx.g.node("NhwcConv", [x, weight, bias], attributes, undefined, CONTRIB_DOMAIN);
    return lowRankConv(ctx.g, x, convolved, name, shape, attributes, "nhwc");
  }
  const convolved = ctx.g.node("Conv", [x, weight, bias], attributes);
  return lowRankConv(ctx.g, x, convolved, name, shape, attributes);
}

/** A conv weight from torch's [out, in, kH, kW] to NhwcConv's [out, kH, kW, in]. */
export function oihwToOhwi(
  oihw: Float32Array,
  out: number,
  inChannels: number,
  kernel: number,
): Float32Array {
  const ohwi = new Float32Array(oihw.length);
  const area = kernel * kernel;
  for (let o = 0; o < out; o++)
    for (let i = 0; i < inChannels; i++)
      for (let p = 0; p < area; p++)
        ohwi[(o * area + p) * inChannels + i] = oihw[(o * inChannels + i) * area + p] as number;
  return ohwi;
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
    normalParameter(ctx, `${name}.weight`, dims, 0.1, { torchShape: [channels], mean: 1 }),
    normalParameter(ctx, `${name}.bias`, dims, 0.1, { torchShape: [channels] }),
  ];
}

export interface GroupNormOptions {
  epsilon?: number;
  /** `nn.SiLU` after the norm, as every ResNet and output norm has it. */
  silu?: boolean;
}

/**
 * `nn.GroupNorm` (then SiLU when asked): torch's export (`groupNormStandard`) or, fused, onnxruntime's
 * NHWC GroupNorm with `activation=1` for SiLU and the affine in float32 (its fp16 conversion keeps
 * GroupNorm's gamma and beta float32: `ALWAYS_FLOAT_INPUTS` in onnxruntime/python/tools/transformers/
 * float16.py). Schema: onnxruntime/core/graph/contrib_ops/diffusion_defs.cc.
 */
export function groupNorm(
  ctx: LayerContext,
  x: string,
  name: string,
  channels: number,
  groups: number,
  options: GroupNormOptions = {},
): string {
  const epsilon = options.epsilon ?? 1e-5;
  if (!isFused(ctx)) {
    const normed = groupNormStandard(ctx, x, name, channels, groups, epsilon);
    return options.silu === true ? silu(ctx, normed) : normed;
  }
  const [gamma, beta] = groupNormAffine(ctx, name, channels);
  return ctx.g.node(
    "GroupNorm",
    [x, gamma, beta],
    { epsilon: float(epsilon), groups, activation: options.silu === true ? 1 : 0, channels_last: 1 },
    undefined,
    CONTRIB_DOMAIN,
  );
}

/** GroupNorm's gamma and beta as [C] float32 tensors, the same values `normAffine` draws. */
export function groupNormAffine(ctx: LayerContext, name: string, channels: number): [string, string] {
  return [
    normalParameter(
      ctx,
      `${name}.weight`,
      [channels],
      0.1,
      { torchShape: [channels], mean: 1 },
      undefined,
      "float",
    ),
    normalParameter(ctx, `${name}.bias`, [channels], 0.1, { torchShape: [channels] }, undefined, "float"),
  ];
}

/**
 * `nn.GroupNorm` as torch exports it: Reshape to [N, groups, -1], InstanceNormalization with unit
 * scale, Reshape back, then the per-channel affine as Mul and Add (ORT's GroupNormalization op is
 * not available everywhere).
 */
function groupNormStandard(
  ctx: LayerContext,
  x: string,
  name: string,
  channels: number,
  groups: number,
  epsilon: number,
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
