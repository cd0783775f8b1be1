import onnx from "onnx-proto";
import { type ClipEncoderShape, clipEncoderLayers } from "./clip-encoder.ts";
import { GraphBuilder, type GraphOptions } from "./graph.ts";
import { type LayerContext, layerContext, layerNorm, linear, normalParameter } from "./nn.ts";
import type { Weights } from "./weights.ts";

/** Concepts the released checker scores every image against, and its "special care" ones. */
export const CONCEPT_COUNT = 17;
export const SPECIAL_CARE_COUNT = 3;
/** diffusers' `special_adjustment`: a special-care hit lowers every concept's threshold by this. */
export const SPECIAL_CARE_ADJUSTMENT = 0.01;
/** ONNX's BOOL element type, which the graph builder's `DataType` does not list. */
const BOOL = 9;

export interface SafetyCheckerShape extends ClipEncoderShape {
  /** The square CLIP input side (224 for every released checker). */
  imageSize: number;
  patchSize: number;
  /** `projection_dim`: the width of the image embedding compared with the concepts. */
  projectionDim: number;
  /**
   * The random thresholds (`concept_embeds_weights`, `special_care_embeds_weights`) are drawn
   * normal(mean, 0.01) around this cosine similarity: high enough that unrelated images pass.
   */
  thresholdMean: number;
}

/** A few-kilobyte checker with the real one's structure, for tests and the local stack. */
export const TINY_SAFETY_CHECKER: SafetyCheckerShape = {
  imageSize: 224,
  patchSize: 32,
  hiddenSize: 32,
  heads: 2,
  layers: 2,
  mlpSize: 64,
  projectionDim: 16,
  thresholdMean: 0.75,
};

/**
 * The released checker's vision tower (CompVis/stable-diffusion-safety-checker's config: CLIP
 * ViT-L/14, 224 px), with random weights: for measuring what the check costs.
 */
export const FULL_SIZE_SAFETY_CHECKER: SafetyCheckerShape = {
  imageSize: 224,
  patchSize: 14,
  hiddenSize: 1024,
  heads: 16,
  layers: 24,
  mlpSize: 4096,
  projectionDim: 768,
  thresholdMean: 0.2,
};

export interface SafetyCheckerOptions {
  /**
   * Only `out_images` and `has_nsfw_concepts`, as diffusers' conversion script exports it; by
   * default also `concept_scores` [N, 17] and `special_scores` [N, 3], so fired concepts can be named.
   */
  standardOutputsOnly?: boolean;
}

/**
 * diffusers' `StableDiffusionSafetyChecker.forward_onnx` (pipelines/stable_diffusion/safety_checker.py)
 * as its conversion script exports it (scripts/convert_stable_diffusion_checkpoint_to_onnx.py): inputs
 * `clip_input` [N, 3, 224, 224] and `images` [N, H, W, 3]; a CLIP vision transformer's pooled class
 * token through `visual_projection`, cosine similarity with 17 concept and 3 special-care embeddings
 * minus each one's threshold; a special-care hit adds 0.01 to every concept score; an image with any
 * concept score above 0 is flagged and comes back black in `out_images`.
 */
export function buildSafetyChecker(
  weights: Weights,
  shape: SafetyCheckerShape,
  options: SafetyCheckerOptions = {},
  graph: Pick<GraphOptions, "sink"> = {},
): Uint8Array {
  const g = new GraphBuilder("safety_checker", graph);
  const ctx = layerContext(g, weights);
  const clipInput = g.input("clip_input", "float", ["batch", "channels", "height", "width"]);
  const images = g.input("images", "float", ["batch", "height", "width", "channels"]);

  const embeds = visionEmbeddings(ctx, clipInput, shape);
  const pooled = g.node("Gather", [embeds, g.initializer("class_token_index", BigInt64Array.of(0n), [])], {
    axis: 1,
  });
  const pooledNormed = layerNorm(ctx, pooled, "vision_model.post_layernorm", shape.hiddenSize);
  const D = shape.projectionDim;
  const imageEmbeds = normalize(
    ctx,
    linear(ctx, pooledNormed, "visual_projection", shape.hiddenSize, D, { bias: false }),
  );
  const cosine = (name: string, count: number) => {
    const table = normalParameter(ctx, name, [count, D], 1, { torchShape: [count, D] });
    return g.node("MatMul", [imageEmbeds, g.node("Transpose", [normalize(ctx, table)], { perm: [1, 0] })]);
  };
  const threshold = (name: string, count: number) =>
    normalParameter(ctx, name, [count], 0.01, { torchShape: [count], mean: shape.thresholdMean });

  const specialScores = g.node("Sub", [
    cosine("special_care_embeds", SPECIAL_CARE_COUNT),
    threshold("special_care_embeds_weights", SPECIAL_CARE_COUNT),
  ]);
  const specialCare = anyPositive(ctx, specialScores);
  const adjustment = g.node("Unsqueeze", [
    g.node("Mul", [
      g.node("Cast", [specialCare], { to: g.floatTypeCode }),
      g.floats([SPECIAL_CARE_ADJUSTMENT], []),
    ]),
    g.int64s([1]),
  ]);
  const conceptScores = g.node("Add", [
    g.node("Sub", [
      cosine("concept_embeds", CONCEPT_COUNT),
      threshold("concept_embeds_weights", CONCEPT_COUNT),
    ]),
    adjustment,
  ]);
  const flagged = anyPositive(ctx, conceptScores);
  // images[has_nsfw_concepts] = 0.0
  const mask = g.node("Reshape", [flagged, g.int64s([-1, 1, 1, 1])]);
  const outImages = g.node("Where", [mask, g.floats([0], []), images]);

  g.output(outImages, "float", ["batch", "height", "width", "channels"], "out_images");
  // Declared float here, then retyped BOOL below: the builder's DataType has no bool.
  g.output(flagged, "float", ["batch"], "has_nsfw_concepts");
  if (options.standardOutputsOnly !== true) {
    g.output(conceptScores, "float", ["batch", CONCEPT_COUNT], "concept_scores");
    g.output(specialScores, "float", ["batch", SPECIAL_CARE_COUNT], "special_scores");
  }
  return withBoolOutput(g.encode(), "has_nsfw_concepts");
}

/**
 * `CLIPVisionTransformer` up to the last hidden state: a bias-free patch convolution, the class
 * embedding in front, position embeddings, `pre_layrnorm` (transformers' spelling), the encoder.
 */
function visionEmbeddings(ctx: LayerContext, pixels: string, shape: SafetyCheckerShape): string {
  const { g } = ctx;
  const { hiddenSize: C, patchSize: p } = shape;
  const tokens = (shape.imageSize / p) ** 2 + 1;
  if (!Number.isInteger(shape.imageSize / p))
    throw new Error(`safety checker: imageSize ${shape.imageSize} is not a multiple of patchSize ${p}`);
  const kernel = normalParameter(
    ctx,
    "vision_model.embeddings.patch_embedding.weight",
    [C, 3, p, p],
    1 / Math.sqrt(3 * p * p),
    { torchShape: [C, 3, p, p] },
  );
  const patches = g.node("Conv", [pixels, kernel], {
    kernel_shape: [p, p],
    strides: [p, p],
    pads: [0, 0, 0, 0],
  });
  const patchTokens = g.node("Transpose", [g.node("Reshape", [patches, g.int64s([0, C, -1])])], {
    perm: [0, 2, 1],
  });
  const classEmbedding = normalParameter(ctx, "vision_model.embeddings.class_embedding", [1, 1, C], 0.5, {
    torchShape: [C],
  });
  const batch = g.node("Shape", [pixels], { start: 0, end: 1 });
  const classToken = g.node("Expand", [
    classEmbedding,
    g.node("Concat", [batch, g.int64s([1, C])], { axis: 0 }),
  ]);
  const positions = normalParameter(
    ctx,
    "vision_model.embeddings.position_embedding.weight",
    [tokens, C],
    0.5,
    { torchShape: [tokens, C] },
  );
  const embedded = g.node("Add", [g.node("Concat", [classToken, patchTokens], { axis: 1 }), positions]);
  const normed = layerNorm(ctx, embedded, "vision_model.pre_layrnorm", C);
  return clipEncoderLayers(ctx, normed, shape, { prefix: "vision_model." });
}

/** torch's `F.normalize` over the last axis: `x / max(‖x‖₂, 1e-12)`. */
function normalize(ctx: LayerContext, x: string): string {
  const { g } = ctx;
  const norm = g.node("ReduceL2", [x], { axes: [-1], keepdims: 1 });
  return g.node("Div", [x, g.node("Max", [norm, g.floats([1e-12], [])])]);
}

/** `torch.any(scores > 0, dim=1)`, as a [N] boolean. */
function anyPositive(ctx: LayerContext, scores: string): string {
  const { g } = ctx;
  return g.node("Greater", [g.node("ReduceMax", [scores], { axes: [1], keepdims: 0 }), g.floats([0], [])]);
}

function withBoolOutput(model: Uint8Array, name: string): Uint8Array {
  const proto = onnx.onnx.ModelProto.decode(model);
  const output = proto.graph?.output?.find((o) => o.name === name);
  const tensorType = output?.type?.tensorType;
  if (tensorType == null) throw new Error(`safety checker: output ${name} missing`);
  tensorType.elemType = BOOL;
  return onnx.onnx.ModelProto.encode(proto).finish();
}

/** The `safety_checker/config.json` a diffusers folder has beside the model (its CLIP config). */
export function safetyCheckerConfig(shape: SafetyCheckerShape): Record<string, unknown> {
  return {
    _class_name: "StableDiffusionSafetyChecker",
    projection_dim: shape.projectionDim,
    vision_config: {
      hidden_size: shape.hiddenSize,
      intermediate_size: shape.mlpSize,
      num_attention_heads: shape.heads,
      num_hidden_layers: shape.layers,
      image_size: shape.imageSize,
      patch_size: shape.patchSize,
      hidden_act: shape.hiddenAct ?? "quick_gelu",
    },
  };
}
