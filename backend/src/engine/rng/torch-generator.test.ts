import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../errors.ts";
import { createGenerator, RNG_NAMES } from "./torch-generator.ts";

describe("createGenerator", () => {
  it("offers torch_cpu (the default) and philox", () => {
    expect(RNG_NAMES).toEqual(["torch_cpu", "philox"]);
    expect(createGenerator(7).randn([20])).toEqual(createGenerator(7, "torch_cpu").randn([20]));
    expect(createGenerator(7, "philox").randn([20])).not.toEqual(createGenerator(7).randn([20]));
  });

  it("takes a seed as a number or a bigint, alike", () => {
    expect(createGenerator(123n).randn([17])).toEqual(createGenerator(123).randn([17]));
    expect(createGenerator(123n, "philox").randn([17])).toEqual(createGenerator(123, "philox").randn([17]));
  });

  it("seeds torch_cpu from the low 32 bits, as torch's mt19937 does (5 and 2^32 + 5 agree)", () => {
    expect(createGenerator(2 ** 32 + 5).randn([32])).toEqual(createGenerator(5).randn([32]));
    expect(createGenerator(2n ** 63n).randn([32])).toEqual(createGenerator(0).randn([32]));
  });

  it.each([[-1], [1.5], [Number.NaN], [2 ** 53], [-1n], [2n ** 64n]])(
    "rejects seed %s with an InvalidArgumentError naming `seed`",
    (seed) => {
      try {
        createGenerator(seed);
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidArgumentError);
        expect((error as InvalidArgumentError).param).toBe("seed");
      }
    },
  );

  it("accepts the largest seed, 2^64 − 1", () => {
    expect(createGenerator(2n ** 64n - 1n).randn([1])).toHaveLength(1);
  });

  it("rejects an unknown rng name and a bad shape, naming them", () => {
    expect(() => createGenerator(0, "numpy" as "philox")).toThrow(/`rng`/);
    expect(() => createGenerator(0).randn([2, -1])).toThrow(/`shape`/);
    expect(() => createGenerator(0, "philox").randn([1.5])).toThrow(/`shape`/);
  });

  it("returns an empty tensor for a shape with a zero", () => {
    expect(createGenerator(0).randn([0, 4])).toHaveLength(0);
  });
});
