import { GraphBuilder } from "./graph.ts";
import { attention, type LayerContext, layerNorm, linear, quickGelu } from "./nn.ts";
import type { WeightSource } from "./weights.ts";

export interface TextEncoderShape {
  vocabSize: number;
  contextLength: number;
  hiddenSize: number;
  heads: number;
  layers: number;
  mlpSize: number;
  /** diffusers' exports take int32 ids, optimum's int64. */
  idsType?: "int32" | "int64";
}

/**
 * A CLIP text transformer (`CLIPTextModel`): token + position embeddings, pre-LayerNorm layers of
 * causal self-attention and a quick-GELU MLP, a final LayerNorm; `pooler_output` is the hidden state
 * at the end-of-text token (the highest id in each row, as CLIP finds it).
 * Inputs and outputs are named as in diffusers' ONNX exports.
 */
export function buildTextEncoder(weights: WeightSource, shape: TextEncoderShape): Uint8Array {
  const g = new GraphBuilder("text_encoder");
  const ctx: LayerContext = { g, weights };
  const { vocabSize, contextLength: T, hiddenSize: C } = shape;
  const ids = g.input("input_ids", shape.idsType ?? "int32", ["batch", T]);

  const tokenTable = g.initializer(
    "embeddings.token_embedding.weight",
    weights.normal("embeddings.token_embedding.weight", vocabSize * C, 1),
    [vocabSize, C],
  );
  const positions = g.initializer(
    "embeddings.position_embedding.weight",
    weights.normal("embeddings.position_embedding.weight", T * C, 0.5),
    [T, C],
  );
  let x = g.node("Add", [g.node("Gather", [tokenTable, ids], { axis: 0 }), positions]);

  const mask = g.initializer("causal_mask", causalMask(T), [1, 1, T, T]);
  for (let layer = 0; layer < shape.layers; layer++) {
    const name = `encoder.layers.${layer}`;
    const normed1 = layerNorm(ctx, x, `${name}.layer_norm1`, C);
    x = g.node("Add", [
      x,
      attention(ctx, normed1, normed1, `${name}.self_attn`, C, { heads: shape.heads, mask, bias: true }),
    ]);
    const normed2 = layerNorm(ctx, x, `${name}.layer_norm2`, C);
    const hidden = quickGelu(ctx, linear(ctx, normed2, `${name}.mlp.fc1`, C, shape.mlpSize));
    x = g.node("Add", [x, linear(ctx, hidden, `${name}.mlp.fc2`, shape.mlpSize, C)]);
  }
  const last = layerNorm(ctx, x, "final_layer_norm", C);
  g.output(last, "float", ["batch", T, C], "last_hidden_state");

  // pooled = last[b, argmax(ids[b])]: ArgMax → [B, 1] → [B, 1, C] → GatherElements on axis 1.
  const eosIndex = g.node("ArgMax", [g.node("Cast", [ids], { to: 1 })], { axis: 1, keepdims: 1 });
  const index = g.node("Expand", [g.node("Unsqueeze", [eosIndex, g.int64s([2])]), g.int64s([1, 1, C])]);
  const pooled = g.node("Squeeze", [g.node("GatherElements", [last, index], { axis: 1 }), g.int64s([1])]);
  g.output(pooled, "float", ["batch", C], "pooler_output");
  return g.encode();
}

/** 0 on and below the diagonal, float32's lowest value above it (as CLIP's `_build_causal_attention_mask`). */
function causalMask(length: number): Float32Array {
  const mask = new Float32Array(length * length);
  for (let i = 0; i < length; i++) {
    for (let j = i + 1; j < length; j++) mask[i * length + j] = -3.4028234663852886e38;
  }
  return mask;
}
