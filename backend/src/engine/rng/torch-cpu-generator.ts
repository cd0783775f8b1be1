import { logFloat32, sinCosFloat32, sinCosResult } from "./avx-mathfun.ts";
import { elementCount, type Generator } from "./generator.ts";
import { Mt19937 } from "./mt19937.ts";

const { fround } = Math;
const TWO_POW_32 = 4_294_967_296;
const TWO_POW_MINUS_24 = 2 ** -24;
const TWO_POW_MINUS_53 = 2 ** -53;
/** `_mm256_set1_ps(2.0f * c10::pi<double>)`: 2π computed in double, then rounded to float32. */
const TWO_PI_FLOAT32 = fround(2 * Math.PI);
/** torch takes this path for float32 tensors of at least this many elements. */
const VECTOR_PATH_MIN_ELEMENTS = 16;

/**
 * `torch.randn(shape, generator=torch.Generator().manual_seed(seed))` on the CPU in float32, bit for
 * bit, as torch runs it on an x86-64 CPU with AVX2 (every x86 CPU since 2013; AVX-512 CPUs take the
 * same kernel, since DistributionKernels.cpp registers `normal_stub` with REGISTER_NO_AVX512_DISPATCH).
 *
 * - Seeding (aten/src/ATen/CPUGeneratorImpl.cpp, core/MT19937RNGEngine.h): `manual_seed` keeps the
 *   whole 64-bit seed but `mt19937(seed)` initialises its state from `seed & 0xffffffff` only, so
 *   seeds that differ only above bit 31 (5 and 2^32 + 5) give the same numbers.
 * - Fewer than 16 elements (native/cpu/DistributionTemplates.h, `normal_kernel`'s serial branch): each
 *   value is `normal_distribution<double>` (core/DistributionsHelper.h), Box–Muller over two
 *   53-bit uniforms from `random64()`, cast to float32. Box–Muller makes two values; torch caches the
 *   second in the generator's `next_double_normal_sample` (the double cache: the float cache is only
 *   for float distributions, and this kernel always asks for double) and returns it on the next
 *   draw that takes this path, however many draws of the other path came between.
 * - 16 or more: `normal_fill_AVX2`: one 24-bit uniform float per element from `random()`, then
 *   `normal_fill_16_AVX2` over each block of 16 (j paired with j + 8), in float32 with avx_mathfun's
 *   `log256_ps` and `sincos256_ps` (ported in avx-mathfun.ts); when the size is not a multiple of 16
 *   the last 16 elements are overwritten from 16 fresh uniforms.
 *
 * Verified bit for bit against torch 1.13.1 as Debian 12 builds it (GCC 12.2, "CPU capability usage:
 * AVX2") over 8M values of the vector path and 350k of the small path, and to 4 decimals against
 * values published for torch 2.x (see the test file). Every version of DistributionTemplates.h we could
 * read, up to the 2024 ones, still calls avx_mathfun (not SLEEF) here.
 *
 * Not reproduced: the scalar `normal_fill_16` torch runs without AVX2 (ARM CPUs such as Apple Silicon,
 * or `ATEN_CPU_CAPABILITY=default`), which uses libm's float log/cos/sin and a double-precision angle:
 * with torch 1.13.1 it differs from the AVX2 kernel in the last bits of 38% of the values (by at most
 * 2.3e-6). The small path is the same on every CPU.
 */
export class TorchCpuGenerator implements Generator {
  readonly #engine: Mt19937;
  #cachedNormal: number | undefined;

  /** `seedLow32` is `seed & 0xffffffff`, all that torch's mt19937 uses. */
  constructor(seedLow32: number) {
    this.#engine = new Mt19937(seedLow32);
  }

  randn(shape: readonly number[]): Float32Array {
    const size = elementCount(shape);
    const data = new Float32Array(size);
    if (size < VECTOR_PATH_MIN_ELEMENTS) {
      for (let i = 0; i < size; i++) data[i] = this.#normalDouble();
      return data;
    }
    this.#fillUniform(data, 0, size);
    for (let i = 0; i + 16 <= size; i += 16) normalFill16(data, i);
    if (size % 16 !== 0) {
      const start = size - 16;
      this.#fillUniform(data, start, size);
      normalFill16(data, start);
    }
    return data;
  }

  /** `uniform_real_distribution<float>(0, 1)`: the low 24 bits of one draw, times 2^-24 (exact). */
  #fillUniform(data: Float32Array, start: number, end: number): void {
    const engine = this.#engine;
    for (let i = start; i < end; i++) data[i] = (engine.nextUint32() & 0xffffff) * TWO_POW_MINUS_24;
  }

  /** `uniform_real_distribution<double>(0, 1)`: the low 53 bits of `random64()` (first draw high). */
  #uniformDouble(): number {
    const high = this.#engine.nextUint32() & 0x1fffff;
    const low = this.#engine.nextUint32();
    return (high * TWO_POW_32 + low) * TWO_POW_MINUS_53;
  }

  /**
   * `normal_distribution<double>(0, 1)` with its cache. torch 2.x computes `log1p(-u2)`, 1.13
   * `log(1 - u2)`; both are the same exact number (1 - u2 is exact), and the float32 results agree.
   */
  #normalDouble(): number {
    const cached = this.#cachedNormal;
    if (cached !== undefined) {
      this.#cachedNormal = undefined;
      return cached;
    }
    const u1 = this.#uniformDouble();
    const u2 = this.#uniformDouble();
    const radius = Math.sqrt(-2 * Math.log1p(-u2));
    const theta = 2 * Math.PI * u1;
    this.#cachedNormal = radius * Math.sin(theta);
    return radius * Math.cos(theta);
  }
}

/**
 * `normal_fill_16_AVX2` with mean 0 and std 1: u1 = 1 - data[j] (in (0, 1]), u2 = data[j + 8],
 * radius = sqrt(-2 · log(u1)), theta = 2π · u2; data[j] = radius · cos, data[j + 8] = radius · sin.
 * The final `fmadd(n, std, mean)` is `n + 0`, which only turns -0 into +0.
 */
function normalFill16(data: Float32Array, offset: number): void {
  for (let j = offset; j < offset + 8; j++) {
    const u1 = fround(1 - (data[j] as number));
    const u2 = data[j + 8] as number;
    const radius = fround(Math.sqrt(fround(-2 * logFloat32(u1))));
    sinCosFloat32(fround(TWO_PI_FLOAT32 * u2));
    data[j] = fround(radius * (sinCosResult[1] as number)) + 0;
    data[j + 8] = fround(radius * (sinCosResult[0] as number)) + 0;
  }
}
