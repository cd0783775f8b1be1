import { Mt19937 } from "./mt19937.ts";

/** A source of standard-normal tensors. */
export interface Generator {
  /** Like `torch.randn(shape, generator=g)` in float32; successive calls continue one stream. */
  randn(shape: readonly number[]): Float32Array;
}

const TWO_POW_24 = 16_777_216;
const TWO_POW_32 = 4_294_967_296;
const TWO_POW_53 = 9_007_199_254_740_992;
const { fround } = Math;

/**
 * A generator that reproduces `torch.Generator().manual_seed(seed)` on the CPU, so a seed gives the
 * same starting latents as diffusers and ComfyUI (aten/src/ATen/native/cpu/DistributionTemplates.h).
 *
 * What is verified against torch (see the tests): tensors of ≥ 16 elements, `normal_fill`'s path,
 * match to 4 decimals (torch computes log/cos/sin with SLEEF's 1-ulp float functions on AVX2 machines,
 * this uses double-precision math rounded to float, so the last bit can differ); tensors of < 16
 * elements, `normal_distribution<double>`'s path, match torch's printed values, and that path carries
 * torch's cached second Box–Muller sample from one call to the next as torch does.
 *
 * @example
 * const latents = createGenerator(42).randn([1, 4, 64, 64]);
 */
export function createGenerator(seed: number): Generator {
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new Error(`seed must be a non-negative integer, got ${seed}`);
  // torch seeds mt19937 with the low 32 bits of the 64-bit seed.
  const engine = new Mt19937(seed % TWO_POW_32);
  let cachedNormal: number | undefined;

  /** `uniform_real_distribution<float>`: 24 random bits of one 32-bit draw. */
  const uniformFloat = (): number => (engine.nextUint32() & 0xffffff) / TWO_POW_24;

  /** `uniform_real_distribution<double>`: 53 bits of `random64()`, first draw high. */
  const uniformDouble = (): number => {
    const high = engine.nextUint32() & 0x1fffff;
    const low = engine.nextUint32();
    return (high * TWO_POW_32 + low) / TWO_POW_53;
  };

  /** `normal_distribution<double>` with torch's cache of the second Box–Muller value. */
  const normalDouble = (): number => {
    if (cachedNormal !== undefined) {
      const value = cachedNormal;
      cachedNormal = undefined;
      return value;
    }
    const u1 = uniformDouble();
    const u2 = uniformDouble();
    const radius = Math.sqrt(-2 * Math.log1p(-u2));
    const theta = 2 * Math.PI * u1;
    cachedNormal = radius * Math.sin(theta);
    return radius * Math.cos(theta);
  };

  return {
    randn(shape) {
      const size = shape.reduce((a, b) => a * b, 1);
      const data = new Float32Array(size);
      if (size < 16) {
        for (let i = 0; i < size; i++) data[i] = normalDouble();
        return data;
      }
      for (let i = 0; i < size; i++) data[i] = uniformFloat();
      for (let i = 0; i + 16 <= size; i += 16) normalFill16(data, i);
      if (size % 16 !== 0) {
        // torch recomputes the last 16 values from fresh uniforms.
        const start = size - 16;
        for (let i = 0; i < 16; i++) data[start + i] = uniformFloat();
        normalFill16(data, start);
      }
      return data;
    },
  };
}

/** `normal_fill_16`: Box–Muller over 16 uniforms in float32, pairing j with j + 8. */
function normalFill16(data: Float32Array, offset: number): void {
  for (let j = 0; j < 8; j++) {
    const u1 = fround(1 - (data[offset + j] as number));
    const u2 = data[offset + j + 8] as number;
    const radius = fround(Math.sqrt(fround(-2 * fround(Math.log(u1)))));
    const theta = fround(2 * Math.PI * u2);
    data[offset + j] = fround(radius * fround(Math.cos(theta)));
    data[offset + j + 8] = fround(radius * fround(Math.sin(theta)));
  }
}
