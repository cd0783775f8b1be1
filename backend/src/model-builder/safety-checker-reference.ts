import {
  CONCEPT_COUNT,
  type SafetyCheckerShape,
  SPECIAL_CARE_ADJUSTMENT,
  SPECIAL_CARE_COUNT,
} from "./safety-checker.ts";
import type { Weights } from "./weights.ts";

/** One image's scores as diffusers' `forward_onnx` computes them. */
export interface ReferenceSafetyScores {
  /** `visual_projection(post_layernorm(class token))`, before normalising. */
  imageEmbeds: Float32Array;
  conceptScores: Float32Array;
  specialScores: Float32Array;
  specialCare: boolean;
  flagged: boolean;
}

/**
 * The safety checker's forward pass written out in plain loops over the same named weights the
 * builder draws, so tests can hold the ONNX graph to it. Float64 arithmetic; slow, for tiny shapes.
 */
export function referenceSafetyScores(
  weights: Weights,
  shape: SafetyCheckerShape,
  clipInput: Float32Array,
): ReferenceSafetyScores {
  const { hiddenSize: C, patchSize: p, imageSize: S, projectionDim: D } = shape;
  const draw = (name: string, dims: number[], std: number, mean = 0) =>
    weights.normal(
      name,
      dims.reduce((a, b) => a * b, 1),
      std,
      { torchShape: dims, mean },
    );
  const grid = S / p;
  const T = grid * grid + 1;
  // patch embedding: token 1 + (i * grid + j) = sum over c, dy, dx of w[o, c, dy, dx] * x[c, i*p+dy, j*p+dx]
  const kernel = draw(
    "vision_model.embeddings.patch_embedding.weight",
    [C, 3, p, p],
    1 / Math.sqrt(3 * p * p),
  );
  const classEmbedding = draw("vision_model.embeddings.class_embedding", [C], 0.5);
  const positions = draw("vision_model.embeddings.position_embedding.weight", [T, C], 0.5);
  let x: number[][] = [Array.from(classEmbedding)];
  for (let i = 0; i < grid; i++)
    for (let j = 0; j < grid; j++) {
      const token = new Array<number>(C).fill(0);
      for (let o = 0; o < C; o++)
        for (let c = 0; c < 3; c++)
          for (let dy = 0; dy < p; dy++)
            for (let dx = 0; dx < p; dx++)
              token[o] =
                (token[o] as number) +
                (kernel[((o * 3 + c) * p + dy) * p + dx] as number) *
                  (clipInput[(c * S + i * p + dy) * S + j * p + dx] as number);
      x.push(token);
    }
  x = x.map((row, t) => row.map((v, k) => v + (positions[t * C + k] as number)));

  const layerNorm = (rows: number[][], name: string) => {
    const gamma = draw(`${name}.weight`, [C], 0.1, 1);
    const beta = draw(`${name}.bias`, [C], 0.1);
    return rows.map((row) => {
      const mean = row.reduce((a, b) => a + b, 0) / row.length;
      const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / row.length;
      const inv = 1 / Math.sqrt(variance + 1e-5);
      return row.map((v, k) => (v - mean) * inv * (gamma[k] as number) + (beta[k] as number));
    });
  };
  const linear = (rows: number[][], name: string, inF: number, outF: number, bias = true) => {
    const w = draw(`${name}.weight`, [inF, outF], 1 / Math.sqrt(inF)); // [in, out] as MatMul takes it
    const b = bias ? draw(`${name}.bias`, [outF], 0.02) : new Float32Array(outF);
    return rows.map((row) => {
      const out = Array.from(b, Number);
      for (let i = 0; i < inF; i++)
        for (let o = 0; o < outF; o++)
          out[o] = (out[o] as number) + (row[i] as number) * (w[i * outF + o] as number);
      return out;
    });
  };

  x = layerNorm(x, "vision_model.pre_layrnorm");
  const heads = shape.heads;
  const headDim = C / heads;
  for (let layer = 0; layer < shape.layers; layer++) {
    const name = `vision_model.encoder.layers.${layer}`;
    const normed = layerNorm(x, `${name}.layer_norm1`);
    const q = linear(normed, `${name}.self_attn.to_q`, C, C);
    const k = linear(normed, `${name}.self_attn.to_k`, C, C);
    const v = linear(normed, `${name}.self_attn.to_v`, C, C);
    const merged = x.map(() => new Array<number>(C).fill(0));
    for (let h = 0; h < heads; h++)
      for (let t = 0; t < T; t++) {
        const scores = k.map((key) => {
          let dot = 0;
          for (let d = h * headDim; d < (h + 1) * headDim; d++)
            dot += (q[t]?.[d] as number) * (key[d] as number);
          return dot / Math.sqrt(headDim);
        });
        const top = Math.max(...scores);
        const exps = scores.map((s) => Math.exp(s - top));
        const sum = exps.reduce((a, b) => a + b, 0);
        const row = merged[t] as number[];
        for (let d = h * headDim; d < (h + 1) * headDim; d++)
          row[d] = exps.reduce((acc, e, s) => acc + (e / sum) * (v[s]?.[d] as number), 0);
      }
    const attended = linear(merged, `${name}.self_attn.to_out.0`, C, C);
    x = x.map((row, t) => row.map((val, d) => val + (attended[t]?.[d] as number)));
    const hidden = linear(layerNorm(x, `${name}.layer_norm2`), `${name}.mlp.fc1`, C, shape.mlpSize).map(
      (row) => row.map((val) => val / (1 + Math.exp(-1.702 * val))),
    );
    const mlp = linear(hidden, `${name}.mlp.fc2`, shape.mlpSize, C);
    x = x.map((row, t) => row.map((val, d) => val + (mlp[t]?.[d] as number)));
  }
  const pooled = layerNorm([x[0] as number[]], "vision_model.post_layernorm");
  const embeds = linear(pooled, "visual_projection", C, D, false)[0] as number[];

  const unit = (values: ArrayLike<number>) => {
    const list = Array.from(values, Number);
    const norm = Math.max(Math.hypot(...list), 1e-12);
    return list.map((v) => v / norm);
  };
  const cosines = (name: string, count: number) => {
    const table = draw(name, [count, D], 1);
    const image = unit(embeds);
    return Array.from({ length: count }, (_, c) => {
      const concept = unit(table.subarray(c * D, (c + 1) * D));
      return concept.reduce((acc, v, d) => acc + v * (image[d] as number), 0);
    });
  };
  const specialThresholds = draw(
    "special_care_embeds_weights",
    [SPECIAL_CARE_COUNT],
    0.01,
    shape.thresholdMean,
  );
  const specialScores = cosines("special_care_embeds", SPECIAL_CARE_COUNT).map(
    (cos, c) => cos - (specialThresholds[c] as number),
  );
  const specialCare = specialScores.some((s) => s > 0);
  const thresholds = draw("concept_embeds_weights", [CONCEPT_COUNT], 0.01, shape.thresholdMean);
  const conceptScores = cosines("concept_embeds", CONCEPT_COUNT).map(
    (cos, c) => cos - (thresholds[c] as number) + (specialCare ? SPECIAL_CARE_ADJUSTMENT : 0),
  );
  return {
    imageEmbeds: Float32Array.from(embeds),
    conceptScores: Float32Array.from(conceptScores),
    specialScores: Float32Array.from(specialScores),
    specialCare,
    flagged: conceptScores.some((s) => s > 0),
  };
}
