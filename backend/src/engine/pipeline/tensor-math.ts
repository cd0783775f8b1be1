/** The float32 arithmetic between model calls, in the order diffusers' torch code does it. */
const { fround } = Math;

/** `noise_pred_uncond + g * (noise_pred_text - noise_pred_uncond)` on a [2, …] batch (uncond first). */
export function applyGuidance(batched: Float32Array, guidanceScale: number): Float32Array {
  const half = batched.length / 2;
  const scale = fround(guidanceScale);
  const out = new Float32Array(half);
  for (let i = 0; i < half; i++) {
    const uncond = batched[i] as number;
    out[i] = uncond + fround(scale * fround((batched[half + i] as number) - uncond));
  }
  return out;
}

/**
 * `(image / 2 + 0.5).clamp(0, 1)`, then `(x * 255).round()` (half to even, as numpy) as uint8 HWC.
 * Storing into a Uint8ClampedArray clamps to [0, 255] and rounds half to even (ECMAScript's
 * ToUint8Clamp), which is exactly the clamp and numpy's round, without a branch per value.
 */
export function decodedToRgb(chw: Float32Array, width: number, height: number): Uint8Array {
  const plane = width * height;
  const rgb = new Uint8ClampedArray(plane * 3);
  for (let c = 0; c < 3; c++) {
    const offset = c * plane;
    for (let i = 0, j = c; i < plane; i++, j += 3) {
      rgb[j] = fround(fround(fround((chw[offset + i] as number) / 2) + 0.5) * 255);
    }
  }
  return new Uint8Array(rgb.buffer);
}
