import { attention, gelu, type LayerContext, layerNorm, linear, quickGelu } from "./nn.ts";

/** The width and depth of a CLIP transformer's encoder (text or vision tower). */
export interface ClipEncoderShape {
  hiddenSize: number;
  heads: number;
  layers: number;
  mlpSize: number;
  /** CLIP ViT-L uses `quick_gelu` (default); OpenCLIP's encoders use exact `gelu`. */
  hiddenAct?: "quick_gelu" | "gelu";
}

export interface ClipEncoderOptions {
  /** Weight names start `${prefix}encoder.layers.N` (the text model's are unprefixed). */
  prefix?: string;
  /** An additive [1, 1, T, T] attention mask: the text model's causal one; none for vision. */
  mask?: string;
  /** Receives each layer's output, for `hidden_states.N` outputs. */
  hiddenStates?: string[];
}

/**
 * `CLIPEncoder` as torch exports it (transformers' models/clip/modeling_clip.py): pre-LayerNorm
 * layers of self-attention and an MLP, each added to the residual stream.
 */
export function clipEncoderLayers(
  ctx: LayerContext,
  embeddings: string,
  shape: ClipEncoderShape,
  options: ClipEncoderOptions = {},
): string {
  const { g } = ctx;
  const C = shape.hiddenSize;
  const activation = shape.hiddenAct === "gelu" ? gelu : quickGelu;
  const prefix = options.prefix ?? "";
  let x = embeddings;
  for (let layer = 0; layer < shape.layers; layer++) {
    const name = `${prefix}encoder.layers.${layer}`;
    const normed1 = layerNorm(ctx, x, `${name}.layer_norm1`, C);
    const attended = attention(ctx, normed1, normed1, `${name}.self_attn`, C, {
      heads: shape.heads,
      bias: true,
      ...(options.mask === undefined ? {} : { mask: options.mask }),
    });
    x = g.node("Add", [x, attended]);
    const normed2 = layerNorm(ctx, x, `${name}.layer_norm2`, C);
    const hidden = activation(ctx, linear(ctx, normed2, `${name}.mlp.fc1`, C, shape.mlpSize));
    x = g.node("Add", [x, linear(ctx, hidden, `${name}.mlp.fc2`, shape.mlpSize, C)]);
    options.hiddenStates?.push(x);
  }
  return x;
}
