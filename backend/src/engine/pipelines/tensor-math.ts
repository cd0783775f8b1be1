import { float16BitsToFloat32 } from "../models/fp16.ts";

/** The float32 arithmetic between model calls, in the order diffusers' torch code does it. */
const { fround } = Math;

/**
 * `noise_pred_uncond + g * (noise_pred_text - noise_pred_uncond)` on a [2, …] batch (uncond first).
 * With composable prompts (`weights`, one per conditional row after the unconditional one) A1111's
 * `combine_denoised`: starting from uncond, each row adds `(cond − uncond) · (weight · g)` in turn.
 */
export function applyGuidance(
  batched: Float32Array,
  guidanceScale: number,
  weights: readonly number[] = [1],
): Float32Array {
  const size = batched.length / (weights.length + 1);
  const out = new Float32Array(size);
  if (weights.length === 1 && weights[0] === 1) {
    const scale = fround(guidanceScale);
    for (let i = 0; i < size; i++) {
      const uncond = batched[i] as number;
      out[i] = uncond + fround(scale * fround((batched[size + i] as number) - uncond));
    }
    return out;
  }
  out.set(batched.subarray(0, size));
  weights.forEach((weight, k) => {
    const factor = fround(weight * guidanceScale);
    const row = (k + 1) * size;
    for (let i = 0; i < size; i++) {
      const uncond = batched[i] as number;
      out[i] = (out[i] as number) + fround(fround((batched[row + i] as number) - uncond) * factor);
    }
  });
  return out;
}

/**
 * `(image / 2 + 0.5).clamp(0, 1)`, then `(x * 255).round()` (half to even, as numpy) as uint8 HWC.
 * Storing into a Uint8ClampedArray clamps to [0, 255] and rounds half to even (ECMAScript's
 * ToUint8Clamp), which is exactly the clamp and numpy's round, without a branch per value.
 * A float16 VAE's output comes as its raw half-precision bits (a `Uint16Array`): each of the 65,536
 * patterns maps to one byte, so a table made once by the same arithmetic gives identical bytes in one
 * pass, without widening a million values to float32 first (about 10 ms of each 512² image on a GPU).
 */
export function decodedToRgb(chw: Float32Array | Uint16Array, width: number, height: number): Uint8Array {
  const plane = width * height;
  if (chw instanceof Uint16Array) {
    const table = float16ToRgbByte();
    const rgb = new Uint8Array(plane * 3);
    for (let c = 0; c < 3; c++) {
      const offset = c * plane;
      for (let i = 0, j = c; i < plane; i++, j += 3) rgb[j] = table[chw[offset + i] as number] as number;
    }
    return rgb;
  }
  const rgb = new Uint8ClampedArray(plane * 3);
  for (let c = 0; c < 3; c++) {
    const offset = c * plane;
    for (let i = 0, j = c; i < plane; i++, j += 3) rgb[j] = toRgbByte(chw[offset + i] as number);
  }
  return new Uint8Array(rgb.buffer);
}

/** One decoded value to its unclamped byte value (the Uint8ClampedArray store clamps and rounds). */
function toRgbByte(value: number): number {
  return fround(fround(fround(value / 2) + 0.5) * 255);
}

let rgbByteTable: Uint8Array | undefined;

/** The byte for every float16 bit pattern, by `toRgbByte` on its exact float32 value. */
function float16ToRgbByte(): Uint8Array {
  if (rgbByteTable === undefined) {
    const bytes = new Uint8ClampedArray(65536);
    for (let bits = 0; bits < 65536; bits++) bytes[bits] = toRgbByte(float16BitsToFloat32(bits));
    rgbByteTable = new Uint8Array(bytes.buffer);
  }
  return rgbByteTable;
}

/** One batch item's values `times` times over: the `[uncond, cond]` batch of one latent. */
export function repeatBatch(data: Float32Array, times: number): Float32Array {
  const out = new Float32Array(data.length * times);
  for (let i = 0; i < times; i++) out.set(data, i * data.length);
  return out;
}
