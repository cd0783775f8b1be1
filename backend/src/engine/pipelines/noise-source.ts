import { createGenerator, type Generator } from "../rng/torch-generator.ts";
import type { RngName, Seed } from "../types.ts";

export type { Generator } from "../rng/torch-generator.ts";

/** The generator image i draws from: seeded with seed + i, as diffusers' per-image generators are. */
export function generatorFor(seed: Seed, rng: RngName): Generator {
  return createGenerator(seed, rng);
}
