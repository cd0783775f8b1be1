/**
 * Per-request LoRA as graph inputs: a layer built with an adapter computes `x·W + (x·down)·up` (a
 * convolution: `conv(x, W) + conv1×1(conv(x, down), up)`), where `down` and `up` are graph inputs named
 * `<module>.lora_down` and `<module>.lora_up` with the rank as a dynamic dimension `<module>.lora_rank`.
 * The engine feeds each request's LoRA set there, several LoRAs concatenated along the rank with their
 * strength folded into `up`, so the weights stay as built and a new set costs no rebuild and no merge.
 * A layer no LoRA of the set trains gets rank 0 (a Linear) or a rank-1 zero adapter (a convolution:
 * onnxruntime's CPU Conv leaves a zero-channel output unwritten).
 *
 * The inputs are small (rank × (in + out) values a layer), so on a GPU they cost a host→device copy of
 * a few megabytes per UNet call, where merged weights as inputs would copy the whole trained part of
 * the network each call unless bound to device memory.
 */
import type { GraphBuilder } from "./graph.ts";

/** The names of a module's adapter inputs and of its rank dimension. */
export function loraInputNames(module: string): { down: string; up: string; rank: string } {
  return { down: `${module}.lora_down`, up: `${module}.lora_up`, rank: `${module}.lora_rank` };
}

/** `product` (`x·W` of nn.Linear `layer`) plus its low-rank adapter, when the graph has one there. */
export function lowRankLinear(
  g: GraphBuilder,
  x: string,
  product: string,
  layer: string,
  inFeatures: number,
  outFeatures: number,
): string {
  const delta = lowRankDelta(g, x, layer, inFeatures, outFeatures);
  return delta === undefined ? product : g.node("Add", [product, delta]);
}

/** The adapter inputs `down` [in, rank] and `up` [rank, out] of Linear `layer`, when it has them. */
export function linearAdapterInputs(
  g: GraphBuilder,
  layer: string,
  inFeatures: number,
  outFeatures: number,
): { down: string; up: string } | undefined {
  const module = g.loraModule(layer);
  if (module === undefined) return undefined;
  const names = loraInputNames(module);
  return {
    down: g.input(names.down, g.floatType, [inFeatures, names.rank]),
    up: g.input(names.up, g.floatType, [names.rank, outFeatures]),
  };
}

/** `(x·down)·up` of Linear `layer`'s adapter, or undefined when the layer has none. */
export function lowRankDelta(
  g: GraphBuilder,
  x: string,
  layer: string,
  inFeatures: number,
  outFeatures: number,
): string | undefined {
  const adapter = linearAdapterInputs(g, layer, inFeatures, outFeatures);
  if (adapter === undefined) return undefined;
  return g.node("MatMul", [g.node("MatMul", [x, adapter.down]), adapter.up]);
}

interface ConvShape {
  inChannels: number;
  outChannels: number;
  kernel: number;
}
type ConvAttributes = { kernel_shape: number[]; pads: readonly number[]; strides: number[] };

/**
 * `convolved` (nn.Conv2d `layer` of `x`) plus its low-rank adapter, when the graph has one there: LoCon's
 * down convolution has the layer's kernel, stride and padding, its up convolution is 1×1.
 *
 * `nhwc`: `convolved` is a fused graph's NhwcConv of NHWC `x`, fed the same inputs. A 1×1 adapter is
 * two MatMuls over the channel axis (the small weights reshaped and transposed), no layout change. A
 * k×k one runs the standard Conv on the input transposed to NCHW and brings its rank channels back to
 * NHWC: NhwcConv is written, as onnxruntime's optimiser writes it, with constant weights only, and has
 * no CPU kernel to check a per-request weight against. That costs one transpose of the layer's input
 * per k×k layer, only in `locon` builds.
 */
export function lowRankConv(
  g: GraphBuilder,
  x: string,
  convolved: string,
  layer: string,
  shape: ConvShape,
  attributes: ConvAttributes,
  layout: "nchw" | "nhwc" = "nchw",
): string {
  const module = g.loraModule(layer, shape.kernel);
  if (module === undefined) return convolved;
  const names = loraInputNames(module);
  const { inChannels, outChannels, kernel } = shape;
  const down = g.input(names.down, g.floatType, [names.rank, inChannels, kernel, kernel]);
  const up = g.input(names.up, g.floatType, [outChannels, names.rank, 1, 1]);
  if (layout === "nchw") {
    const reduced = g.node("Conv", [x, down], attributes);
    return g.node("Add", [convolved, g.node("Conv", [reduced, up], { kernel_shape: [1, 1] })]);
  }
  // a 4-D weight reshaped to the matrix `matrix` (one side -1, the rank) and transposed: a MatMul
  // factor over the channel axis
  const transposedMatrix = (value: string, matrix: [number, number]) =>
    g.node("Transpose", [g.node("Reshape", [value, g.int64s(matrix)])], { perm: [1, 0] });
  const pointwise =
    kernel === 1 && attributes.strides.every((s) => s === 1) && attributes.pads.every((p) => p === 0);
  const reduced = pointwise
    ? g.node("MatMul", [x, transposedMatrix(down, [-1, inChannels])])
    : toNhwc(g, g.node("Conv", [g.node("Transpose", [x], { perm: [0, 3, 1, 2] }), down], attributes));
  return g.node("Add", [convolved, g.node("MatMul", [reduced, transposedMatrix(up, [outChannels, -1])])]);
}

function toNhwc(g: GraphBuilder, x: string): string {
  return g.node("Transpose", [x], { perm: [0, 2, 3, 1] });
}

/**
 * Which layers get adapter inputs: `linear`, the Linears and 1×1 convolutions (what kohya's and PEFT's
 * LoRAs train in SD 1.5: attention, feed-forward, `proj_in`/`proj_out`, `time_emb_proj`); `locon`,
 * also every k×k convolution (LoCon). A k×k adapter costs a k×k convolution of the full input even
 * with no LoRA in the set (rank 1, zeros), so it is built only when asked for.
 */
export type LoraInputLayers = "linear" | "locon";
export const LORA_INPUT_LAYERS: readonly LoraInputLayers[] = ["linear", "locon"];

/**
 * The UNet layers of the down, mid and up blocks that `layers` asks for, named as diffusers names the
 * module (as kohya's `lora_unet_*` and PEFT's `unet.*` do).
 */
export function unetLoraModules(
  layers: LoraInputLayers,
): (layer: string, kernel: number) => string | undefined {
  return (layer, kernel) =>
    /^(down_blocks|mid_block|up_blocks)\./.test(layer) && (layers === "locon" || kernel === 1)
      ? layer
      : undefined;
}

/**
 * CLIP's encoder layers' Linears, by transformers' module names (what `lora_te_*` and PEFT's
 * `text_encoder.*` name): the builder's `encoder.layers.0.self_attn.to_q` is
 * `text_model.encoder.layers.0.self_attn.q_proj`.
 */
export function clipLoraModule(layer: string): string | undefined {
  if (!/^encoder\.layers\.\d+\./.test(layer)) return undefined;
  const renamed = layer
    .replace(/\.self_attn\.to_([qkv])$/, ".self_attn.$1_proj")
    .replace(/\.self_attn\.to_out\.0$/, ".self_attn.out_proj");
  return `text_model.${renamed}`;
}
