import { describe, expect, it } from "vitest";
import { createGenerator } from "../rng/torch-generator.ts";
import { SD15_CONFIG } from "../schedulers/diffusers-test-dummies.ts";
import { createScheduler, type Scheduler } from "../schedulers/index.ts";
import { drawStepNoise } from "./step-noise.ts";

const itemDims = [1, 2, 2, 2];
const itemSize = 8;

function scheduler(name: string, steps: number): Scheduler {
  const s = createScheduler(name, SD15_CONFIG);
  s.setTimesteps(steps);
  return s;
}

describe("drawStepNoise", () => {
  it("draws each batch item's noise from its own generator, step after step, as per-item host loops do", () => {
    const seeds = [3, 4];
    const steps = 3;
    const table = drawStepNoise(
      scheduler("euler_a", steps),
      seeds.map((s) => createGenerator(s)),
      [2, 2, 2, 2],
    );
    const host = seeds.map((seed) => {
      const generator = createGenerator(seed);
      return Array.from({ length: steps }, () => generator.randn(itemDims));
    });
    for (let k = 0; k < steps; k++) {
      seeds.forEach((_, b) => {
        const row = table.subarray((k * 2 + b) * itemSize, (k * 2 + b + 1) * itemSize);
        expect(Array.from(row), `step ${k} item ${b}`).toEqual(Array.from(host[b]?.[k] ?? []));
      });
    }
  });

  it("leaves the generator where the host loop leaves it, counting draws scaled by zero", () => {
    for (const name of ["euler_a", "dpmpp_2m_sde_karras", "lcm", "euler"]) {
      const hostGenerator = createGenerator(9);
      const host = scheduler(name, 4);
      const zeros = new Float32Array(itemSize);
      for (const t of host.timesteps) host.step(zeros, t, zeros, hostGenerator, itemDims);
      const deviceGenerator = createGenerator(9);
      drawStepNoise(scheduler(name, 4), deviceGenerator, itemDims);
      expect(Array.from(deviceGenerator.randn([4])), name).toEqual(Array.from(hostGenerator.randn([4])));
    }
  });

  it("leaves rows of steps that draw nothing at zero: LCM's last step, all of Euler's", () => {
    const lcm = drawStepNoise(scheduler("lcm", 3), createGenerator(1), itemDims);
    expect(lcm.subarray(0, 2 * itemSize).some((v) => v !== 0)).toBe(true);
    expect(lcm.subarray(2 * itemSize).every((v) => v === 0)).toBe(true);
    expect(drawStepNoise(scheduler("euler", 3), createGenerator(1), itemDims).every((v) => v === 0)).toBe(
      true,
    );
  });
});
