import { InvalidArgumentError } from "../errors.ts";
import type { Generator } from "./generator.ts";
import { PhiloxGenerator } from "./philox-generator.ts";
import { TorchCpuGenerator } from "./torch-cpu-generator.ts";

export type { Generator } from "./generator.ts";

/**
 * The noise generators a request can name: `torch_cpu` is `torch.Generator("cpu")`, what diffusers
 * and ComfyUI use by default; `philox` is A1111's "NV" generator, its imitation of
 * `torch.Generator("cuda")`.
 */
export const RNG_NAMES = ["torch_cpu", "philox"] as const;
export type RngName = (typeof RNG_NAMES)[number];

const MAX_SEED = 2n ** 64n - 1n;

/**
 * A seeded generator of standard-normal float32 tensors that reproduces a reference bit for bit, so
 * a seed gives the same starting latents as the tools users compare against.
 *
 * `seed` is 0 … 2^64 − 1, the range `torch.Generator.manual_seed` and A1111 accept: a safe-integer
 * `number`, or a `bigint` for the seeds above 2^53. Note that `torch_cpu` uses only the low 32 bits,
 * as torch's mt19937 does (so seeds 5 and 2^32 + 5 give the same noise); `philox` keys on all 64.
 *
 * @example
 * const latents = createGenerator(42).randn([1, 4, 64, 64]);
 * const nv = createGenerator(42n, "philox").randn([1, 4, 128, 128]);
 */
export function createGenerator(seed: number | bigint, rng: RngName = "torch_cpu"): Generator {
  const seedBits = toSeedBits(seed);
  switch (rng) {
    case "torch_cpu":
      return new TorchCpuGenerator(Number(seedBits & 0xffffffffn));
    case "philox":
      return new PhiloxGenerator(seedBits);
    default:
      throw new InvalidArgumentError("rng", rng, `must be one of ${RNG_NAMES.join(", ")}`);
  }
}

function toSeedBits(seed: number | bigint): bigint {
  if (typeof seed === "number") {
    if (!Number.isSafeInteger(seed) || seed < 0)
      throw new InvalidArgumentError(
        "seed",
        seed,
        "must be an integer from 0 to 2^53 − 1 (or a bigint up to 2^64 − 1)",
      );
    return BigInt(seed);
  }
  if (typeof seed === "bigint" && seed >= 0n && seed <= MAX_SEED) return seed;
  throw new InvalidArgumentError("seed", seed, "must be an integer from 0 to 2^64 − 1");
}
