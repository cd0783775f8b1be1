const { fround } = Math;

/**
 * A1111's default emphasis, `EmphasisOriginal.after_transformers` (modules/sd_emphasis.py, called from
 * `TextConditionalModel.process_tokens` in modules/sd_hijack_clip.py): scale each token's hidden state
 * `[tokens, width]` by its multiplier, then rescale the whole chunk so its mean is the mean it had
 * before. Arithmetic in float32, as torch does it; sums in float64.
 *
 * With every multiplier 1 A1111 computes `z · 1 · (mean / mean)`, which is `z` bit for bit; this
 * returns the input itself then, so unweighted prompts give exactly the embeddings they gave before.
 *
 * @example
 * const weighted = applyEmphasis(encoding.hidden, 768, chunk.multipliers);
 */
export function applyEmphasis(
  hidden: Float32Array,
  width: number,
  multipliers: readonly number[],
): Float32Array {
  if (hidden.length !== multipliers.length * width) {
    throw new RangeError(
      `hidden states have ${hidden.length} values; ${multipliers.length} tokens × ${width} need ${multipliers.length * width}`,
    );
  }
  if (multipliers.every((m) => m === 1)) return hidden;
  const originalMean = mean(hidden);
  const weighted = new Float32Array(hidden.length);
  for (const [token, multiplier] of multipliers.entries()) {
    const m = fround(multiplier);
    for (let i = token * width; i < (token + 1) * width; i++) weighted[i] = fround((hidden[i] as number) * m);
  }
  const ratio = fround(originalMean / mean(weighted));
  for (let i = 0; i < weighted.length; i++) weighted[i] = fround((weighted[i] as number) * ratio);
  return weighted;
}

function mean(values: Float32Array): number {
  let sum = 0;
  for (const value of values) sum += value;
  return fround(sum / values.length);
}
