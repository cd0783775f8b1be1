/**
 * Scalar, bit-exact ports of the two float32 functions torch's AVX2 `normal_fill_16_AVX2` calls:
 * `log256_ps` and `sincos256_ps` from aten/src/ATen/native/cpu/avx_mathfun.h (Giovanni Garberoglio's
 * AVX port of Julien Pommier's sse_mathfun, i.e. the Cephes `logf`/`sinf`/`cosf` polynomials).
 *
 * Every float32 instruction of the compiled kernel is one `fround` (or one `fmaFloat32`) here, in
 * its order: a sum, difference or product of two float32 values rounded once from a double equals the
 * float32 instruction's result (a double has more than 2·24 + 2 bits, so the double rounding is
 * harmless). The lane-wise masks (`_mm256_and_ps` with a compare) become conditionals that add the
 * same `+0`.
 *
 * The header is written as separate `_mm256_mul_ps` / `_mm256_add_ps` calls, but torch compiles its
 * AVX2 kernels with `-mavx2 -mfma` and GCC's default `-ffp-contract=fast`, and GCC's intrinsics are
 * plain vector arithmetic, so GCC fuses a product feeding a sum into one `vfmadd` (one rounding). Which
 * ones it fuses was read from the disassembly of `normal_kernel`'s AVX2 instance in Debian 12's
 * libtorch_cpu.so.1.13 (GCC 12.2); each fused pair is marked "fused" below. The results match that
 * library bit for bit (see torch-cpu-generator.test.ts).
 */

const { fround } = Math;

/**
 * `fmaf(a, b, c)`: a · b + c on float32 values with one rounding, as `vfmadd` computes it. The
 * product is exact in a double; the sum may round once in the double and once more to float32, which
 * is wrong only when the double lands exactly halfway between two floats: then the sign of the sum's
 * lost remainder (TwoSum) picks the side.
 */
export function fmaFloat32(a: number, b: number, c: number): number {
  const product = a * b;
  const sum = product + c;
  const rounded = fround(sum);
  if (rounded === sum) return rounded;
  // `sum` is a float32 midpoint exactly when its mirror image across `rounded` is a float32.
  const mirror = 2 * sum - rounded;
  if (fround(mirror) !== mirror) return rounded;
  const productPart = sum - c;
  const remainder = product - productPart + (c - (sum - productPart));
  if (remainder === 0) return rounded;
  return remainder > 0 ? Math.max(rounded, mirror) : Math.min(rounded, mirror);
}

const scratch = new ArrayBuffer(4);
const scratchFloat = new Float32Array(scratch);
const scratchInt = new Int32Array(scratch);

/** Cephes' SQRTHF, 0.707106781186547524 in the header: √½ as a double, then rounded to float32. */
const SQRTHF = fround(Math.SQRT1_2);
const LOG_P0 = fround(7.0376836292e-2);
const LOG_P1 = fround(-1.151461031e-1);
const LOG_P2 = fround(1.167699874e-1);
const LOG_P3 = fround(-1.2420140846e-1);
const LOG_P4 = fround(1.4249322787e-1);
const LOG_P5 = fround(-1.6668057665e-1);
const LOG_P6 = fround(2.0000714765e-1);
const LOG_P7 = fround(-2.4999993993e-1);
const LOG_P8 = fround(3.3333331174e-1);
const LOG_Q1 = fround(-2.1219444e-4);
const LOG_Q2 = fround(0.693359375);
const HALF_MANTISSA_BITS = 0x3f000000; // the bits of 0.5f
const EXPONENT_MASK = 0x7f800000;
const MIN_NORMAL_FLOAT = 1.1754943508222875e-38; // 2^-126, `_ps256_min_norm_pos`

/**
 * `log256_ps` for one lane: the natural log of a positive float32, in float32. Non-positive input
 * (which `normal_fill` never passes: its argument is in (0, 1]) gives NaN as in the original.
 */
export function logFloat32(value: number): number {
  if (!(value > 0)) return Number.NaN;
  scratchFloat[0] = Math.max(value, MIN_NORMAL_FLOAT);
  const bits = scratchInt[0] as number;
  // The exponent, then the mantissa with 0.5's exponent: x in [0.5, 1).
  let e = fround((bits >>> 23) - 0x7f + 1);
  scratchInt[0] = (bits & ~EXPONENT_MASK) | HALF_MANTISSA_BITS;
  let x = scratchFloat[0] as number;
  // if (x < SQRTHF) { e -= 1; x = x + x - 1 } else { x = x - 1 }, as the original computes it.
  const below = x < SQRTHF;
  const tmp = below ? x : 0;
  x = fround(x - 1);
  e = fround(e - (below ? 1 : 0));
  x = fround(x + tmp);

  const z = fround(x * x);
  // Horner's rule, each step fused.
  let y = fmaFloat32(LOG_P0, x, LOG_P1);
  y = fmaFloat32(y, x, LOG_P2);
  y = fmaFloat32(y, x, LOG_P3);
  y = fmaFloat32(y, x, LOG_P4);
  y = fmaFloat32(y, x, LOG_P5);
  y = fmaFloat32(y, x, LOG_P6);
  y = fmaFloat32(y, x, LOG_P7);
  y = fmaFloat32(y, x, LOG_P8);
  y = fround(y * x);
  y = fmaFloat32(y, z, fround(e * LOG_Q1)); // y·z + e·q1: the first product fused
  y = fround(y - z * 0.5); // fused too, but z · 0.5 is exact
  x = fround(x + y);
  return fmaFloat32(e, LOG_Q2, x); // fused
}

const MINUS_DP1 = fround(-0.78515625);
const MINUS_DP2 = fround(-2.4187564849853516e-4); // -2.4187564849853515625e-4 in the header
const MINUS_DP3 = fround(-3.774894977445941e-8); // -3.77489497744594108e-8 in the header
const SINCOF_P0 = fround(-1.9515295891e-4);
const SINCOF_P1 = fround(8.3321608736e-3);
const SINCOF_P2 = fround(-1.6666654611e-1);
const COSCOF_P0 = fround(2.443315711809948e-5);
const COSCOF_P1 = fround(-1.388731625493765e-3);
const COSCOF_P2 = fround(4.166664568298827e-2);
const FOUR_OVER_PI = fround(1.27323954473516);

/** Where `sinCosFloat32` writes: `[sin, cos]`, reused to avoid an allocation per call. */
export const sinCosResult = new Float64Array(2);

/**
 * `sincos256_ps` for one lane: sin and cos of a float32 angle, in float32, into `sinCosResult`.
 * Like the original, accurate for |angle| below 8192 (`normal_fill` passes [0, 2π)).
 */
export function sinCosFloat32(angle: number): void {
  const negative = angle < 0 || Object.is(angle, -0);
  let x = Math.abs(angle);
  // j = (int(x · 4/π) + 1) & ~1: the octant, rounded up to even (Cephes).
  let j = Math.trunc(fround(x * FOUR_OVER_PI)) | 0;
  j = (j + 1) & ~1;
  const y = j; // a small integer, exact in float32
  const flipSin = negative !== ((j & 4) !== 0);
  const flipCos = ((j - 2) & 4) === 0;
  const sinFromSinPoly = (j & 2) === 0;

  // "Extended precision modular arithmetic": x = ((x - y·DP1) - y·DP2) - y·DP3.
  // Each step fused.
  x = fmaFloat32(y, MINUS_DP1, x);
  x = fmaFloat32(y, MINUS_DP2, x);
  x = fmaFloat32(y, MINUS_DP3, x);

  const z = fround(x * x);
  let cosPoly = fmaFloat32(COSCOF_P0, z, COSCOF_P1);
  cosPoly = fmaFloat32(cosPoly, z, COSCOF_P2);
  cosPoly = fround(cosPoly * z);
  cosPoly = fmaFloat32(cosPoly, z, -(z * 0.5)); // the second ·z fused with "- z · 0.5" (exact)
  cosPoly = fround(cosPoly + 1);

  let sinPoly = fmaFloat32(SINCOF_P0, z, SINCOF_P1);
  sinPoly = fmaFloat32(sinPoly, z, SINCOF_P2);
  sinPoly = fround(sinPoly * z);
  sinPoly = fmaFloat32(sinPoly, x, x); // fused

  // The original selects with masks and sums with the zeroed lane, which turns -0 into +0.
  const sin = sinFromSinPoly ? 0 + sinPoly : cosPoly + 0;
  const cos = sinFromSinPoly ? cosPoly + 0 : 0 + sinPoly;
  sinCosResult[0] = flipSin ? -sin : sin;
  sinCosResult[1] = flipCos ? -cos : cos;
}
