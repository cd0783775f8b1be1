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
  const module = g.loraModule(layer);
  if (module === undefined) return product;
  const names = loraInputNames(module);
  const down = g.input(names.down, g.floatType, [inFeatures, names.rank]);
  const up = g.input(names.up, g.floatType, [names.rank, outFeatures]);
  return g.node("Add", [product, g.node("MatMul", [g.node("MatMul", [x, down]), up])]);
}

/**
 * `convolved` (nn.Conv2d `layer` of `x`) plus its low-rank adapter, when the graph has one there: LoCon's
 * down convolution has the layer's kernel, stride and padding, its up convolution is 1×1.
 */
export function lowRankConv(
  g: GraphBuilder,
  x: string,
  convolved: string,
  layer: string,
  shape: { inChannels: number; outChannels: number; kernel: number },
  attributes: { kernel_shape: number[]; pads: readonly number[]; strides: number[] },
): string {
  const module = g.loraModule(layer, shape.kernel);
  if (module === undefined) return convolved;
  const names = loraInputNames(module);
  const { inChannels, outChannels, kernel } = shape;
  const down = g.input(names.down, g.floatType, [names.rank, inChannels, kernel, kernel]);
  const up = g.input(names.up, g.floatType, [outChannels, names.rank, 1, 1]);
  const reduced = g.node("Conv", [x, down], attributes);
  return g.node("Add", [convolved, g.node("Conv", [reduced, up], { kernel_shape: [1, 1] })]);
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
