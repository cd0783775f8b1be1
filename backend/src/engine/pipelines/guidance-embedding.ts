const { fround } = Math;

/**
 * LCM's guidance-scale embedding for one `w`, in float32 as diffusers'
 * `LatentConsistencyModelPipeline.get_guidance_scale_embedding` computes it (after VDM's
 * `model_vdm.py`): `w·1000` times `exp(−i·ln(10000)/(half − 1))`, then `[sin…, cos…]`, zero-padded
 * to an odd width.
 */
export function guidanceScaleEmbedding(w: number, embeddingDim: number): Float32Array {
  const half = Math.floor(embeddingDim / 2);
  const scaledW = fround(fround(w) * 1000);
  const step = fround(fround(Math.log(10000)) / (half - 1));
  const out = new Float32Array(embeddingDim);
  for (let i = 0; i < half; i++) {
    const frequency = fround(Math.exp(fround(i * -step)));
    const angle = fround(scaledW * frequency);
    out[i] = Math.sin(angle);
    out[half + i] = Math.cos(angle);
  }
  return out;
}
