import { describe, expect, it } from "vitest";
import { SD15_CONFIG } from "../schedulers/diffusers-test-dummies.ts";
import { createScheduler } from "../schedulers/index.ts";
import { hostLoop, type LoopCase, referenceLoop, relativeError } from "./loop-test-support.ts";
import { buildStepTable } from "./step-coefficients.ts";
import { drawsStepNoise } from "./step-noise.ts";
import { DeviceLoopUnsupportedError } from "./unsupported-config.ts";

const guided = { condWeights: [1], guidanceScale: 7.5 } as const;
const karrasTrailingV = { ...SD15_CONFIG, timestep_spacing: "trailing", prediction_type: "v_prediction" };

const cases: Record<string, LoopCase> = {
  euler: { scheduler: "euler", config: SD15_CONFIG, steps: 8, seed: 1, ...guided },
  euler_a: { scheduler: "euler_a", config: SD15_CONFIG, steps: 8, seed: 2, ...guided },
  dpmpp_2m: { scheduler: "dpmpp_2m", config: SD15_CONFIG, steps: 8, seed: 3, ...guided },
  dpmpp_2m_karras: { scheduler: "dpmpp_2m_karras", config: SD15_CONFIG, steps: 10, seed: 4, ...guided },
  dpmpp_2m_sde_karras: {
    scheduler: "dpmpp_2m_sde_karras",
    config: SD15_CONFIG,
    steps: 8,
    seed: 5,
    ...guided,
  },
  ddim: { scheduler: "ddim", config: SD15_CONFIG, steps: 8, seed: 6, ...guided },
  lcm: { scheduler: "lcm", config: SD15_CONFIG, steps: 4, seed: 7, condWeights: [], guidanceScale: 1 },
  "euler, Karras sigmas, v_prediction, trailing": {
    scheduler: "euler",
    config: { ...karrasTrailingV, use_karras_sigmas: true },
    steps: 6,
    seed: 8,
    ...guided,
  },
  "euler_a, v_prediction, trailing": {
    scheduler: "euler_a",
    config: karrasTrailingV,
    steps: 6,
    seed: 9,
    ...guided,
  },
  "dpmpp_2m_karras, v_prediction, 2 weighted prompts, per-step guidance": {
    scheduler: "dpmpp_2m_karras",
    config: karrasTrailingV,
    steps: 6,
    seed: 10,
    condWeights: [0.7, 0.3],
    guidanceScale: [7, 6, 5, 4, 3, 2],
  },
  "dpmpp_2m, final sigma_min, 16 steps (second order to the end)": {
    scheduler: "dpmpp_2m",
    config: { ...SD15_CONFIG, final_sigmas_type: "sigma_min" },
    steps: 16,
    seed: 11,
    ...guided,
  },
  "ddim, v_prediction, trailing": {
    scheduler: "ddim",
    config: karrasTrailingV,
    steps: 6,
    seed: 12,
    ...guided,
  },
  "euler, sample prediction, final sigma_min": {
    scheduler: "euler",
    config: { ...SD15_CONFIG, prediction_type: "sample", final_sigmas_type: "sigma_min" },
    steps: 5,
    seed: 18,
    ...guided,
  },
  "dpmpp_2m_sde_karras, sample prediction": {
    scheduler: "dpmpp_2m_sde_karras",
    config: { ...SD15_CONFIG, prediction_type: "sample" },
    steps: 5,
    seed: 19,
    ...guided,
  },
  "ddim, sample prediction": {
    scheduler: "ddim",
    config: { ...SD15_CONFIG, prediction_type: "sample" },
    steps: 5,
    seed: 13,
    ...guided,
  },
  "lcm, v_prediction, guided": { scheduler: "lcm", config: karrasTrailingV, steps: 4, seed: 14, ...guided },
  "img2img: euler_a from index 3": {
    scheduler: "euler_a",
    config: SD15_CONFIG,
    steps: 8,
    beginIndex: 3,
    seed: 15,
    ...guided,
  },
  "img2img: dpmpp_2m_sde_karras from index 4": {
    scheduler: "dpmpp_2m_sde_karras",
    config: SD15_CONFIG,
    steps: 10,
    beginIndex: 4,
    seed: 16,
    ...guided,
  },
  "img2img: lcm from index 1": {
    scheduler: "lcm",
    config: SD15_CONFIG,
    steps: 4,
    beginIndex: 1,
    seed: 17,
    condWeights: [],
    guidanceScale: 1,
  },
};

describe("the step table reproduces the host scheduler loop", () => {
  for (const [name, loop] of Object.entries(cases)) {
    it(`${name}: every step's sample and clean estimate within 1e-5`, () => {
      const host = hostLoop(loop);
      const device = referenceLoop(loop);
      expect(device).toHaveLength(host.length);
      host.forEach((expected, k) => {
        const actual = device[k];
        expect(relativeError(actual?.sample ?? [], expected.sample), `step ${k} sample`).toBeLessThan(1e-5);
        expect(relativeError(actual?.denoised ?? [], expected.denoised), `step ${k} x0`).toBeLessThan(1e-5);
      });
    });
  }
});

describe("step table", () => {
  it("starts with the first timestep and model-input scale, and ends with zeros", () => {
    const scheduler = createScheduler("euler", SD15_CONFIG);
    scheduler.setTimesteps(4);
    const plan = buildStepTable(scheduler, { guidanceScale: 5 });
    const sigma = scheduler.sigmas?.[0] as number;
    expect(plan.t0).toBe(scheduler.timesteps[0]);
    expect(plan.cIn0).toBeCloseTo(1 / Math.sqrt(sigma * sigma + 1), 12);
    expect(plan.steps).toBe(4);
    expect(Array.from(plan.table.subarray(-2))).toEqual([0, 0]);
    expect(plan.stochastic).toBe(false);
  });

  it("marks ancestral and SDE tables stochastic, and knows which schedulers draw", () => {
    for (const name of ["euler_a", "dpmpp_2m_sde_karras", "lcm"]) {
      const scheduler = createScheduler(name, SD15_CONFIG);
      scheduler.setTimesteps(4);
      expect(buildStepTable(scheduler, { guidanceScale: 1 }).stochastic, name).toBe(true);
      expect(drawsStepNoise(scheduler), name).toBe(true);
    }
    const lcm = createScheduler("lcm", SD15_CONFIG);
    lcm.setTimesteps(4);
    // LCM's last step draws nothing
    expect(drawsStepNoise(lcm, 3)).toBe(false);
  });

  it("refuses DDIM's and LCM's clip_sample, naming the key", () => {
    for (const name of ["ddim", "lcm"]) {
      const scheduler = createScheduler(name, { ...SD15_CONFIG, clip_sample: true });
      scheduler.setTimesteps(4);
      const attempt = () => buildStepTable(scheduler, { guidanceScale: 7 });
      expect(attempt, name).toThrow(DeviceLoopUnsupportedError);
      expect(attempt, name).toThrow(/clip_sample/);
    }
  });

  it("refuses a begin index outside the schedule and a guidance list of the wrong length", () => {
    const scheduler = createScheduler("euler", SD15_CONFIG);
    scheduler.setTimesteps(4);
    expect(() => buildStepTable(scheduler, { guidanceScale: 7, beginIndex: 4 })).toThrow(/beginIndex/);
    expect(() => buildStepTable(scheduler, { guidanceScale: [7, 7] })).toThrow(/guidanceScale/);
  });
});
