import { InvalidArgumentError } from "../errors.ts";
import type { Generator } from "../rng/torch-generator.ts";
import type { NoiseGenerator } from "./types.ts";

function isSingleGenerator(generator: NoiseGenerator): generator is Generator {
  return "randn" in generator;
}

/**
 * diffusers' `randn_tensor(model_output.shape, generator=generator)` (utils/torch_utils.py): one
 * generator draws the whole shape; a list draws `(1, *shape[1:])` from each in batch order.
 */
export function drawNoise(
  scheduler: string,
  generator: NoiseGenerator | undefined,
  count: number,
  shape: readonly number[] | undefined,
): Float32Array {
  if (generator === undefined) {
    throw new InvalidArgumentError(
      "generator",
      generator,
      `is required: ${scheduler} adds noise at each step`,
    );
  }
  const generators = isSingleGenerator(generator) ? [generator] : generator;
  const only = generators.length === 1 ? generators[0] : undefined;
  const drawShape = shape ?? (only !== undefined ? [count] : [generators.length, count / generators.length]);
  if (drawShape.reduce((a, b) => a * b, 1) !== count) {
    throw new InvalidArgumentError(
      "shape",
      JSON.stringify(drawShape),
      `has to hold the sample's ${count} values`,
    );
  }
  if (only !== undefined) return only.randn(drawShape);
  const batch = drawShape[0] ?? 0;
  if (generators.length !== batch) {
    throw new InvalidArgumentError(
      "generator",
      `${generators.length} generators`,
      `has to be one generator or one per batch item (${batch})`,
    );
  }
  const itemShape = [1, ...drawShape.slice(1)];
  const itemCount = count / batch;
  const noise = new Float32Array(count);
  generators.forEach((item, i) => {
    noise.set(item.randn(itemShape), i * itemCount);
  });
  return noise;
}
