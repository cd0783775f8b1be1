/**
 * IEEE 754 half precision as onnxruntime-node carries it: `float16` tensors hold their bits in a
 * `Uint16Array`. Conversions round to nearest, ties to even, as numpy's `astype(np.float16)` and
 * torch's `.half()` do. Node 24's `Float16Array` does the same natively and is used when present.
 */

type Float16ArrayLike = ArrayLike<number> & { readonly buffer: ArrayBufferLike };
type Float16ArrayConstructor = {
  new (length: number): Float16ArrayLike;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): Float16ArrayLike;
};
const NativeFloat16Array = (globalThis as { Float16Array?: Float16ArrayConstructor }).Float16Array;

const scratchFloat = new Float32Array(1);
const scratchBits = new Uint32Array(scratchFloat.buffer);

/** The half-precision bits of `value`, rounded to nearest even (overflow gives ±Infinity). */
export function float32ToFloat16Bits(value: number): number {
  scratchFloat[0] = value;
  const bits = scratchBits[0] as number;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  let mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa === 0 ? 0 : 0x200 | (mantissa >>> 13));
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    // Subnormal half: the value in units of 2^-24 is the full mantissa shifted right.
    if (halfExponent < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - halfExponent;
    const kept = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    return sign | (rest > halfway || (rest === halfway && (kept & 1) === 1) ? kept + 1 : kept);
  }
  const half = (halfExponent << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to Infinity).
  return sign | (rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1) ? half + 1 : half);
}

/** The value of half-precision `bits` (exact: every half is a float32). */
export function float16BitsToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** Float32 values as half-precision bits, ready for `new Tensor("float16", bits, dims)`. */
export function toFloat16Bits(values: Float32Array): Uint16Array {
  if (NativeFloat16Array !== undefined) {
    const half = new NativeFloat16Array(values.length);
    (half as unknown as { set(source: ArrayLike<number>): void }).set(values);
    return new Uint16Array(half.buffer, 0, values.length);
  }
  const bits = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) bits[i] = float32ToFloat16Bits(values[i] as number);
  return bits;
}

/** Half-precision bits (or a `Float16Array`) back to float32. */
export function fromFloat16(data: Uint16Array | Float16ArrayLike): Float32Array {
  if (!(data instanceof Uint16Array)) return Float32Array.from(data);
  if (NativeFloat16Array !== undefined) {
    return Float32Array.from(new NativeFloat16Array(data.buffer, data.byteOffset, data.length));
  }
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = float16BitsToFloat32(data[i] as number);
  return out;
}
