/**
 * Deterministic random weights: every tensor draws from its own stream, seeded from the model seed and
 * the tensor's name, so changing one layer leaves every other layer's weights as they were.
 */

/** FNV-1a over the UTF-16 code units of `text`. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** xoshiro128** (Blackman & Vigna), seeded through splitmix32. */
export class Xoshiro128 {
  readonly #s = new Uint32Array(4);

  constructor(seed: number) {
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.#s[i] = (z ^ (z >>> 16)) >>> 0;
    }
  }

  nextUint32(): number {
    const s = this.#s;
    const s0 = s[0] as number;
    const s1 = s[1] as number;
    const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    s[2] = (s[2] as number) ^ s0;
    s[3] = (s[3] as number) ^ s1;
    s[1] = s1 ^ (s[2] as number);
    s[0] = s0 ^ (s[3] as number);
    s[2] = (s[2] as number) ^ t;
    s[3] = rotl(s[3] as number, 11);
    return result;
  }

  /** Uniform in (0, 1), never 0. */
  nextUnit(): number {
    return (this.nextUint32() + 0.5) / 4_294_967_296;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

export class WeightSource {
  readonly #seed: number;

  constructor(seed: number) {
    this.#seed = seed;
  }

  /** `count` normal values with the given standard deviation (Box–Muller), for the tensor `name`. */
  normal(name: string, count: number, std: number): Float32Array {
    const rng = new Xoshiro128(hash32(`${this.#seed}:${name}`));
    const out = new Float32Array(count);
    for (let i = 0; i < count; i += 2) {
      const radius = Math.sqrt(-2 * Math.log(rng.nextUnit())) * std;
      const theta = 2 * Math.PI * rng.nextUnit();
      out[i] = radius * Math.cos(theta);
      if (i + 1 < count) out[i + 1] = radius * Math.sin(theta);
    }
    return out;
  }
}
