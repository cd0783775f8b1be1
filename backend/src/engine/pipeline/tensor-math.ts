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

/** `(image / 2 + 0.5).clamp(0, 1)`, then `(x * 255).round()` (half to even, as numpy) as uint8 HWC. */
export function decodedToRgb(chw: Float32Array, width: number, height: number): Uint8Array {
  const plane = width * height;
  const rgb = new Uint8Array(plane * 3);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < plane; i++) {
      const x = chw[c * plane + i] as number;
      const unit = Math.min(1, Math.max(0, fround(fround(x / 2) + 0.5)));
      rgb[i * 3 + c] = roundHalfEven(fround(unit * 255));
    }
  }
  return rgb;
}

function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff !== 0.5) return Math.round(x);
  return floor % 2 === 0 ? floor : floor + 1;
}
