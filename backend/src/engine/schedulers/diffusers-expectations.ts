import { expect } from "vitest";

/**
 * `|actual - expected|` within half a unit of the last digit diffusers prints plus the rounding of
 * torch's float32 `sum` (about ten float32 ulps of the total), i.e. equal to every digit published.
 */
export function expectPublished(actual: number, published: string): void {
  const decimals = published.split(".")[1]?.length ?? 0;
  const expected = Number(published);
  const tolerance = 0.5 * 10 ** -decimals + Math.abs(expected) * 6e-7;
  expect(Math.abs(actual - expected), `${actual} vs published ${published}`).toBeLessThanOrEqual(tolerance);
}

/** Within diffusers' own assertion tolerance (`assert abs(result - expected) < tolerance`). */
export function expectWithinDiffusersTolerance(actual: number, expected: number, tolerance: number): void {
  expect(Math.abs(actual - expected), `${actual} vs published ${expected}`).toBeLessThan(tolerance);
}
