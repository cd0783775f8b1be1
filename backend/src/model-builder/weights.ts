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

/**
 * How a builder wants one tensor: its shape as torch stores it in a checkpoint, and how to rearrange
 * it. A random source ignores all but `mean`; a checkpoint source (model-import/checkpoint-weights.ts)
 * reads the tensor of that shape and rearranges it.
 */
export interface TensorRequest {
  /** The shape in torch's state dict: nn.Linear [out, in], Conv2d [out, in, kH, kW], norms [C]. */
  readonly torchShape: readonly number[];
  /** nn.Linear's weight wanted as [in, out] for MatMul: the transpose of torch's [out, in]. */
  readonly transpose?: boolean;
  /** Random values are drawn around this (norm scales near 1); real weights are taken as they are. */
  readonly mean?: number;
}

/** Where a builder's weights come from: seeded random (`WeightSource`) or a checkpoint. */
export interface Weights {
  /**
   * `count` values for the tensor `name`, laid out as `tensor` asks; random sources draw them
   * normal(mean, std).
   */
  normal(name: string, count: number, std: number, tensor: TensorRequest): Float32Array;
}

export class WeightSource implements Weights {
  readonly #seed: number;

  constructor(seed: number) {
    this.#seed = seed;
  }

  /**
   * `count` normal values with the given standard deviation (Box–Muller), for the tensor `name`, then
   * shifted by `tensor.mean` when it is given.
   */
  normal(name: string, count: number, std: number, tensor?: TensorRequest): Float32Array {
    const rng = new Xoshiro128(hash32(`${this.#seed}:${name}`));
    const out = new Float32Array(count);
    for (let i = 0; i < count; i += 2) {
      const radius = Math.sqrt(-2 * Math.log(rng.nextUnit())) * std;
      const theta = 2 * Math.PI * rng.nextUnit();
      out[i] = radius * Math.cos(theta);
      if (i + 1 < count) out[i + 1] = radius * Math.sin(theta);
    }
    const mean = tensor?.mean ?? 0;
    return mean === 0 ? out : out.map((v) => mean + v);
  }
}
