/**
 * The 32-bit Mersenne Twister seeded the way torch's CPU generator seeds it
 * (`at::mt19937(uint64 seed)` → `init_with_uint32(seed & 0xffffffff)`, aten/src/ATen/core/MT19937RNGEngine.h).
 */
const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

export class Mt19937 {
  readonly #state = new Uint32Array(N);
  #index = N;

  constructor(seed: number) {
    const state = this.#state;
    state[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = state[i - 1] as number;
      const x = (prev ^ (prev >>> 30)) >>> 0;
      // 1812433253 * x + i in uint32, split so the product stays exact in a double.
      state[i] = (((((x & 0xffff0000) >>> 16) * 1812433253) << 16) + (x & 0x0000ffff) * 1812433253 + i) >>> 0;
    }
  }

  /** The next 32-bit draw (torch's `random()`). */
  nextUint32(): number {
    if (this.#index >= N) this.#twist();
    let y = this.#state[this.#index++] as number;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  #twist(): void {
    const state = this.#state;
    for (let i = 0; i < N; i++) {
      const y = ((state[i] as number) & UPPER_MASK) | ((state[(i + 1) % N] as number) & LOWER_MASK);
      state[i] = ((state[(i + M) % N] as number) ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0)) >>> 0;
    }
    this.#index = 0;
  }
}
