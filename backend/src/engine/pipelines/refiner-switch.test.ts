import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../errors.ts";
import { checkRefinerSwitch, refinerSwitchStep } from "./refiner-switch.ts";

/** A1111's `completed_ratio < refiner_switch_at` loop, written out independently: first step not below. */
const a1111BySteps = (steps: number, switchAt: number) => {
  let step = 0;
  while (step < steps && step / steps < switchAt) step++;
  return step;
};
const leading = (steps: number) =>
  Float32Array.from({ length: steps }, (_, i) => (steps - 1 - i) * (1000 / steps) + 1);

describe("refiner switch step (A1111's apply_refiner)", () => {
  it("by sampling steps: the first step with step / steps ≥ switchAt, float division included", () => {
    const pairs: [number, number, number][] = [
      [20, 0.8, 16],
      [25, 0.8, 20],
      [4, 0.5, 2],
      [10, 0.33, 4],
      // 0.7 · 30 = 21.000000000000004 in floats, but 21 / 30 = 0.7: the refiner starts at step 21
      [30, 0.7, 21],
      [4, 0.99, 4],
    ];
    for (const [steps, switchAt, k] of pairs) {
      expect(refinerSwitchStep(leading(steps), switchAt, "steps"), `${steps} @ ${switchAt}`).toBe(k);
      expect(a1111BySteps(steps, switchAt)).toBe(k);
    }
  });

  it("by timestep (A1111's default): the first step whose (999 − t) / 1000 reaches switchAt", () => {
    // SDXL's Euler, leading spacing, steps_offset 1: 20 steps are t = 951, 901, …, 1
    const timesteps = leading(20);
    expect(timesteps[0]).toBe(951);
    // (999 − 201) / 1000 = 0.798 < 0.8; (999 − 151) / 1000 = 0.848: the 17th step (index 16)
    expect(refinerSwitchStep(timesteps, 0.8)).toBe(16);
    // (999 − 751) / 1000 = 0.248 < 0.25; 701 → 0.298
    expect(refinerSwitchStep(timesteps, 0.25)).toBe(5);
    // a trailing schedule starts at t = 999: ratio 0, which any switchAt > 0 passes over
    expect(refinerSwitchStep(Float32Array.of(999, 666, 333), 0.001)).toBe(1);
    // never reached: the base runs every step
    expect(refinerSwitchStep(Float32Array.of(999, 666, 333), 0.9)).toBe(3);
    // fractional (Karras) timesteps round to the nearest model timestep
    expect(refinerSwitchStep(Float32Array.of(900.4, 499.6, 10), 0.5)).toBe(2);
  });

  it("refuses a switchAt outside (0, 1) and an unknown rule, naming the field", () => {
    for (const bad of [0, 1, -0.5, 1.5, Number.NaN, "0.8"]) {
      expect(() => checkRefinerSwitch(bad, undefined)).toThrow(InvalidArgumentError);
      expect(() => checkRefinerSwitch(bad, undefined)).toThrow(/refiner\.switchAt/);
    }
    expect(() => checkRefinerSwitch(0.8, "sigma")).toThrow(/refiner\.switchBy/);
    expect(checkRefinerSwitch(0.8, undefined)).toBe("timestep");
    expect(checkRefinerSwitch(0.8, "steps")).toBe("steps");
  });
});
