import { describe, expect, it } from "vitest";
import { Mt19937 } from "./mt19937.ts";

describe("Mt19937", () => {
  it("gives the reference first output for the default seed 5489 (mt19937ar.c's init_genrand)", () => {
    expect(new Mt19937(5489).nextUint32()).toBe(3499211612);
  });

  it("gives 4123659995 as the 10000th output for seed 5489, as the C++ standard requires of std::mt19937", () => {
    // [rand.predef]: "the 10000th consecutive invocation of a default-constructed object of type
    // mt19937 shall produce the value 4123659995".
    const engine = new Mt19937(5489);
    for (let i = 1; i < 10_000; i++) engine.nextUint32();
    expect(engine.nextUint32()).toBe(4123659995);
  });
});
