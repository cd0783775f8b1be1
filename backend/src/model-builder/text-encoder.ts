import { clipEncoderLayers } from "./clip-encoder.ts";
import { attentionOp, skipLayerNorm } from "./fused-layers.ts";
import { float as floatAttribute, GraphBuilder, type GraphOptions } from "./graph.ts";
import {
  CONTRIB_DOMAIN,
  type LayerContext,
  layerContext,
  layerNorm,
  linear,
  linearBias,
  type OperatorSet,
} from "./nn.ts";
import type { Weights } from "./weights.ts";

export interface TextEncoderShape {
  vocabSize: number;
  contextLength: number;
  hiddenSize: number;
  heads: number;
  layers: number;
  mlpSize: number;
  /** diffusers' exports take int32 ids, optimum's int64. */
  idsType?: "int32" | "int64";
  /** CLIP ViT-L uses `quick_gelu`; OpenCLIP's encoders (SD 2.x, SDXL's second) use exact `gelu`. */
  hiddenAct?: "quick_gelu" | "gelu";
  /** Also output `hidden_states.0` (embeddings) … `hidden_states.L`, as optimum's exports do. */
  outputHiddenStates?: boolean;
  /**
   * `CLIPTextModelWithProjection`: output `text_embeds` (the pooled state through a bias-free
   * `text_projection`) in place of `pooler_output`, as SDXL's second encoder does.
   */
  projectionDim?: number;
  /** Standard ONNX operators (default) or onnxruntime's fused ones (see `OperatorSet`). */
  operators?: OperatorSet;
}

/**
 * A CLIP text transformer (`CLIPTextModel`, transformers' models/clip/modeling_clip.py): token +
 * position embeddings, pre-LayerNorm layers of causal self-attention and an MLP, a final LayerNorm;
 * the pooled state is the hidden state at the end-of-text token (the highest id in each row, as CLIP
 * finds it). Inputs and outputs are named as in diffusers' and optimum's ONNX exports.
 */
export function buildTextEncoder(
  weights: Weights,
  shape: TextEncoderShape,
  graph: GraphOptions = {},
): Uint8Array {
  const g = new GraphBuilder("text_encoder", graph);
  const ctx = layerContext(g, weights, shape.operators);
  const { vocabSize, contextLength: T, hiddenSize: C } = shape;
  const ids = g.input("input_ids", shape.idsType ?? "int32", ["batch", T]);

  const tokenTable = g.parameter("embeddings.token_embedding.weight", [vocabSize, C], () =>
    weights.normal("embeddings.token_embedding.weight", vocabSize * C, 1, { torchShape: [vocabSize, C] }),
  );
  const positions = g.parameter("embeddings.position_embedding.weight", [T, C], () =>
    weights.normal("embeddings.position_embedding.weight", T * C, 0.5, { torchShape: [T, C] }),
  );
  let x = g.node("Add", [g.node("Gather", [tokenTable, ids], { axis: 0 }), positions]);
  const hiddenStates = [x];

  if (ctx.operators === "fused") {
    x = fusedLayers(ctx, x, shape, hiddenStates);
  } else {
    x = standardLayers(ctx, x, shape, hiddenStates);
  }
  const last = layerNorm(ctx, x, "final_layer_norm", C);
  const float = g.floatType;
  // Outputs in the exporters' order: last_hidden_state, pooler_output (CLIPTextModel) or
  // text_embeds, last_hidden_state (CLIPTextModelWithProjection); then the hidden states.
  if (shape.projectionDim === undefined) g.output(last, float, ["batch", T, C], "last_hidden_state");

  // pooled = last[b, argmax(ids[b])]: ArgMax → [B, 1] → [B, 1, C] → GatherElements on axis 1.
  const eosIndex = g.node("ArgMax", [g.node("Cast", [ids], { to: 1 })], { axis: 1, keepdims: 1 });
  const index = g.node("Expand", [g.node("Unsqueeze", [eosIndex, g.int64s([2])]), g.int64s([1, 1, C])]);
  const pooled = g.node("Squeeze", [g.node("GatherElements", [last, index], { axis: 1 }), g.int64s([1])]);

  if (shape.projectionDim === undefined) {
    g.output(pooled, float, ["batch", C], "pooler_output");
  } else {
    const projected = linear(ctx, pooled, "text_projection", C, shape.projectionDim, { bias: false });
    g.output(projected, float, ["batch", shape.projectionDim], "text_embeds");
    g.output(last, float, ["batch", T, C], "last_hidden_state");
  }
  if (shape.outputHiddenStates === true) {
    hiddenStates.forEach((state, i) => {
      g.output(state, float, ["batch", T, C], `hidden_states.${i}`);
    });
  }
  return g.encode();
}

/** The encoder layers as torch exports them; pushes each layer's output to `hiddenStates`. */
function standardLayers(
  ctx: LayerContext,
  embeddings: string,
  shape: TextEncoderShape,
  hiddenStates: string[],
): string {
  const { g } = ctx;
  const T = shape.contextLength;
  const mask = g.initializer("causal_mask", causalMask(T, g.floatType), [1, 1, T, T], g.floatType);
  return clipEncoderLayers(ctx, embeddings, shape, { mask, hiddenStates });
}

/**
 * The encoder layers as onnxruntime's optimiser leaves CLIP (model type "clip"): a causal `Attention`
 * op (`unidirectional=1`, fusion_attention_clip.py), SkipLayerNormalization folding each output bias
 * and residual into the next LayerNorm, QuickGelu (fusion_quickgelu.py) or BiasGelu on fc1.
 */
function fusedLayers(
  ctx: LayerContext,
  embeddings: string,
  shape: TextEncoderShape,
  hiddenStates: string[],
): string {
  const { g } = ctx;
  const { hiddenSize: C, mlpSize } = shape;
  let x = embeddings;
  let normed1 = layerNorm(ctx, x, "encoder.layers.0.layer_norm1", C);
  for (let layer = 0; layer < shape.layers; layer++) {
    const name = `encoder.layers.${layer}`;
    const heads = attentionOp(ctx, normed1, `${name}.self_attn`, C, { heads: shape.heads, causal: true });
    const attended = linear(ctx, heads, `${name}.self_attn.to_out.0`, C, C, { bias: false });
    const outBias = linearBias(ctx, `${name}.self_attn.to_out.0`, C);
    const [normed2, afterAttention] = skipLayerNorm(ctx, attended, x, outBias, `${name}.layer_norm2`, C);
    const fc1 = linear(ctx, normed2, `${name}.mlp.fc1`, C, mlpSize, { bias: false });
    const fc1Bias = linearBias(ctx, `${name}.mlp.fc1`, mlpSize);
    const hidden =
      shape.hiddenAct === "gelu"
        ? g.node("BiasGelu", [fc1, fc1Bias], {}, undefined, CONTRIB_DOMAIN)
        : g.node(
            "QuickGelu",
            [g.node("Add", [fc1, fc1Bias])],
            { alpha: floatAttribute(1.702) },
            undefined,
            CONTRIB_DOMAIN,
          );
    const fc2 = linear(ctx, hidden, `${name}.mlp.fc2`, mlpSize, C, { bias: false });
    const fc2Bias = linearBias(ctx, `${name}.mlp.fc2`, C);
    if (layer + 1 < shape.layers) {
      const next = `encoder.layers.${layer + 1}.layer_norm1`;
      [normed1, x] = skipLayerNorm(ctx, fc2, afterAttention, fc2Bias, next, C);
    } else {
      x = g.node("Add", [g.node("Add", [fc2, fc2Bias]), afterAttention]);
    }
    hiddenStates.push(x);
  }
  return x;
}

/**
 * 0 on and below the diagonal, the float type's lowest value above it, as transformers'
 * `_create_4d_causal_attention_mask` fills it with `torch.finfo(dtype).min`.
 */
function causalMask(length: number, type: "float" | "float16"): Float32Array {
  const lowest = type === "float16" ? -65504 : -3.4028234663852886e38;
  const mask = new Float32Array(length * length);
  for (let i = 0; i < length; i++) {
    for (let j = i + 1; j < length; j++) mask[i * length + j] = lowest;
  }
  return mask;
}
