import { describe, expect, it } from "vitest";
import { createGenerator } from "../rng/torch-generator.ts";
import { drawNoise } from "./noise.ts";

describe("drawNoise", () => {
  it("draws what torch.randn draws for the whole shape from one generator", () => {
    expect(Array.from(drawNoise("x", createGenerator(7), 32, [2, 16]))).toEqual(
      Array.from(createGenerator(7).randn([2, 16])),
    );
  });

  it("draws (1, ...shape[1:]) from each generator of a list, in batch order", () => {
    const noise = drawNoise("x", [createGenerator(1), createGenerator(2)], 32, [2, 16]);
    expect(Array.from(noise.subarray(16))).toEqual(Array.from(createGenerator(2).randn([1, 16])));
  });

  it("names the argument that does not fit", () => {
    expect(() => drawNoise("x", createGenerator(1), 32, [3, 16])).toThrow(/`shape`/);
    expect(() => drawNoise("x", [createGenerator(1), createGenerator(2)], 48, [3, 16])).toThrow(
      /`generator`/,
    );
    expect(() => drawNoise("x", undefined, 32, [2, 16])).toThrow(/`generator`/);
  });
});
