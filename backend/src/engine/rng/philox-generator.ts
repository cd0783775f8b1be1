import { elementCount, type Generator } from "./generator.ts";

/** Philox4x32's multipliers and Weyl key increments (Salmon et al., "Parallel random numbers", 2011). */
const PHILOX_M0 = 0xd2511f53;
const PHILOX_M1 = 0xcd9e8d57;
const PHILOX_W0 = 0x9e3779b9;
const PHILOX_W1 = 0xbb67ae85;
const PHILOX_ROUNDS = 10;
const TWO_POW_MINUS_32 = 2 ** -32;

const { fround } = Math;
/** A1111's `two_pow32_inv` and `two_pow32_inv_2pi`: float32 constants, used in float64 arithmetic. */
const TWO_POW32_INV = fround(2.3283064e-10);
const TWO_POW32_INV_2PI = fround(2.3283064e-10 * 6.2831855);

/**
 * A1111's "NV" generator (modules/rng_philox.py in AUTOMATIC1111/stable-diffusion-webui), which
 * imitates `torch.randn(..., device="cuda")` on any device: each `randn` call is one Philox4x32-10
 * batch keyed by the 64-bit seed (low word first), with counter (offset, 0, index, 0), where the
 * offset counts the generator's previous `randn` calls; value i is A1111's `box_muller(x, y)` of the
 * batch's first two words.
 *
 * A1111's Box–Muller multiplies uint32 arrays by float32 constants, which NumPy promotes to float64:
 * the arithmetic is float64 with float32 constants, rounded to float32 at the end, and so it is here.
 * Checked against A1111's own NumPy code (see philox-generator.test.ts).
 */
export class PhiloxGenerator implements Generator {
  readonly #keyLow: number;
  readonly #keyHigh: number;
  #offset = 0;

  constructor(seed: bigint) {
    this.#keyLow = Number(seed & 0xffffffffn);
    this.#keyHigh = Number((seed >> 32n) & 0xffffffffn);
  }

  randn(shape: readonly number[]): Float32Array {
    const size = elementCount(shape);
    const data = new Float32Array(size);
    // A1111 stores the offset in a uint32 counter word.
    const offset = this.#offset | 0;
    this.#offset += 1;
    // The Weyl key schedule: round r uses the seed's words plus r times the increments.
    const keys0 = new Int32Array(PHILOX_ROUNDS);
    const keys1 = new Int32Array(PHILOX_ROUNDS);
    for (let round = 0; round < PHILOX_ROUNDS; round++) {
      keys0[round] = this.#keyLow + Math.imul(round, PHILOX_W0);
      keys1[round] = this.#keyHigh + Math.imul(round, PHILOX_W1);
    }
    // The words are kept as int32 (same bits as uint32) so the engine stays in integer registers.
    for (let i = 0; i < size; i++) {
      let c0 = offset;
      let c1 = 0;
      let c2 = i | 0;
      let c3 = 0;
      for (let round = 0; round < PHILOX_ROUNDS; round++) {
        const a = c0 >>> 0;
        const b = c2 >>> 0;
        const low0 = Math.imul(a, PHILOX_M0);
        const low2 = Math.imul(b, PHILOX_M1);
        const high0 = mulHigh32(a, PHILOX_M0, low0 >>> 0);
        const high2 = mulHigh32(b, PHILOX_M1, low2 >>> 0);
        c0 = high2 ^ c1 ^ (keys0[round] as number);
        c1 = low2;
        c2 = high0 ^ c3 ^ (keys1[round] as number);
        c3 = low0;
      }
      data[i] = boxMuller(c0 >>> 0, c1 >>> 0);
    }
    return data;
  }
}

/**
 * The high 32 bits (as int32) of the 64-bit product of two uint32 values, given its exact low 32
 * bits. The double product is off by at most 2^10 and the subtraction adds as much again, so after
 * scaling by 2^-32 the error is under 2^-21 and rounding to nearest recovers the high word exactly.
 */
function mulHigh32(a: number, b: number, low: number): number {
  return ((a * b - low) * TWO_POW_MINUS_32 + 0.5) | 0;
}

/** A1111's `box_muller(x, y)`: the first of the pair, r · sin(v), from two uint32 draws. */
function boxMuller(x: number, y: number): number {
  const u = x * TWO_POW32_INV + TWO_POW32_INV / 2;
  const v = y * TWO_POW32_INV_2PI + TWO_POW32_INV_2PI / 2;
  const radius = Math.sqrt(-2 * Math.log(u));
  return fround(radius * Math.sin(v));
}
