import type { ReferenceTensor } from "./controlnet-reference.ts";

/**
 * SDXL's conditioning of the UNet's time embedding written out in plain loops (float64), for holding a
 * built graph to: diffusers' `UNet2DConditionModel.get_time_embed` + `get_aug_embed` with
 * `addition_embed_type: "text_time"` (models/unets/unet_2d_condition.py), on weights read by their
 * diffusers names from the graph's initializers (a Linear's weight stored [in, out] for MatMul).
 * Slow; for reduced sizes.
 */

/**
 * `get_timestep_embedding(t, dim, flip_sin_to_cos=True, downscale_freq_shift=0)`
 * (models/embeddings.py): `[cos(t·f), sin(t·f)]` with `f_i = exp(−ln(10000) · i / (dim / 2))`.
 */
export function timestepSinusoidReference(values: readonly number[], dim: number): ReferenceTensor {
  const half = dim / 2;
  const data = new Float32Array(values.length * dim);
  for (const [row, value] of values.entries())
    for (let i = 0; i < half; i++) {
      const angle = value * Math.exp((-Math.log(10000) * i) / half);
      data[row * dim + i] = Math.cos(angle);
      data[row * dim + half + i] = Math.sin(angle);
    }
  return { dims: [values.length, dim], data };
}

/** `nn.Linear` named `name` of a [rows, in] input; the graph stores the weight as [in, out]. */
function linearReference(
  weights: ReadonlyMap<string, ReferenceTensor>,
  x: ReferenceTensor,
  name: string,
): ReferenceTensor {
  const weight = weights.get(`${name}.weight`);
  const bias = weights.get(`${name}.bias`);
  if (weight === undefined || bias === undefined) throw new Error(`no weights for ${name}`);
  const [rows, inFeatures] = x.dims as [number, number];
  const [weightIn, outFeatures] = weight.dims as [number, number];
  if (weightIn !== inFeatures)
    throw new Error(`${name}: input has ${inFeatures} features, weight ${weightIn}`);
  const data = new Float32Array(rows * outFeatures);
  for (let r = 0; r < rows; r++)
    for (let o = 0; o < outFeatures; o++) {
      let sum = bias.data[o] as number;
      for (let i = 0; i < inFeatures; i++)
        sum += (x.data[r * inFeatures + i] as number) * (weight.data[i * outFeatures + o] as number);
      data[r * outFeatures + o] = sum;
    }
  return { dims: [rows, outFeatures], data };
}

const silu = (x: ReferenceTensor): ReferenceTensor => ({
  dims: x.dims,
  data: x.data.map((v) => v / (1 + Math.exp(-v))),
});

/** `TimestepEmbedding`: linear_1, SiLU, linear_2. */
function timestepEmbeddingReference(
  weights: ReadonlyMap<string, ReferenceTensor>,
  x: ReferenceTensor,
  name: string,
): ReferenceTensor {
  return linearReference(weights, silu(linearReference(weights, x, `${name}.linear_1`)), `${name}.linear_2`);
}

export interface AddedConditioning {
  /** One timestep per row. */
  timesteps: readonly number[];
  /** The pooled, projected `text_embeds`, [rows, textEmbedDim]. */
  textEmbeds: ReferenceTensor;
  /** Six per row: original height, width, crop top, left, target height, width. */
  timeIds: readonly number[];
}

/**
 * `emb + aug_emb`: the time embedding of the timestep plus `add_embedding` of the pooled text
 * embedding beside the sinusoids of the six `time_ids` (each `addTimeDim` wide), what every ResNet's
 * `time_emb_proj` reads (through a SiLU). `channels0` is `block_out_channels[0]`.
 */
export function addedTimeEmbeddingReference(
  weights: ReadonlyMap<string, ReferenceTensor>,
  conditioning: AddedConditioning,
  channels0: number,
  addTimeDim: number,
): ReferenceTensor {
  const rows = conditioning.timesteps.length;
  const emb = timestepEmbeddingReference(
    weights,
    timestepSinusoidReference(conditioning.timesteps, channels0),
    "time_embedding",
  );
  const idEmbeds = timestepSinusoidReference(conditioning.timeIds, addTimeDim).data;
  const textDim = conditioning.textEmbeds.dims[1] as number;
  const width = textDim + 6 * addTimeDim;
  const addEmbeds = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) {
    addEmbeds.set(conditioning.textEmbeds.data.subarray(r * textDim, (r + 1) * textDim), r * width);
    addEmbeds.set(idEmbeds.subarray(r * 6 * addTimeDim, (r + 1) * 6 * addTimeDim), r * width + textDim);
  }
  const aug = timestepEmbeddingReference(weights, { dims: [rows, width], data: addEmbeds }, "add_embedding");
  return { dims: emb.dims, data: emb.data.map((v, i) => v + (aug.data[i] as number)) };
}
