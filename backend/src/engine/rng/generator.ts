import { InvalidArgumentError } from "../errors.ts";

/** A source of standard-normal tensors. */
export interface Generator {
  /** Like `torch.randn(shape, generator=g)` in float32; successive calls continue one stream. */
  randn(shape: readonly number[]): Float32Array;
}

/** The number of elements of a tensor of this shape; each dimension must be a non-negative integer. */
export function elementCount(shape: readonly number[]): number {
  let count = 1;
  for (const dimension of shape) {
    if (!Number.isSafeInteger(dimension) || dimension < 0)
      throw new InvalidArgumentError("shape", `[${shape.join(", ")}]`, "must hold non-negative integers");
    count *= dimension;
  }
  return count;
}
