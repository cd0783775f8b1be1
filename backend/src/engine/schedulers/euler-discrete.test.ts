import { describe, expect, it } from "vitest";
import { EulerDiscreteScheduler } from "./euler-discrete.ts";
import { createScheduler } from "./index.ts";
import { torchLinspaceFloat32 } from "./noise-schedule.ts";

/** SD 1.5's scheduler_config.json. */
const SD15 = {
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: "scaled_linear",
  num_train_timesteps: 1000,
  steps_offset: 1,
  prediction_type: "epsilon",
  timestep_spacing: "leading",
};

describe("EulerDiscreteScheduler", () => {
  it("spaces SD 1.5's 10 steps as diffusers does with 'leading' and steps_offset 1", () => {
    const scheduler = createScheduler("euler", SD15);
    scheduler.setTimesteps(10);
    expect(Array.from(scheduler.timesteps)).toEqual([901, 801, 701, 601, 501, 401, 301, 201, 101, 1]);
    expect(scheduler.sigmas).toHaveLength(11);
    expect(scheduler.sigmas[10]).toBe(0);
    // leading: init_noise_sigma = (max_sigma ** 2 + 1) ** 0.5
    const sigma0 = scheduler.sigmas[0] as number;
    expect(scheduler.initNoiseSigma).toBeCloseTo(Math.sqrt(sigma0 * sigma0 + 1), 5);
  });

  it("starts SD 1.5's 'linspace' schedule at sigma 14.6146 (timestep 999) and uses it as the initial noise", () => {
    const scheduler = new EulerDiscreteScheduler({ ...SD15, timestep_spacing: "linspace" });
    scheduler.setTimesteps(10);
    expect(Array.from(scheduler.timesteps)).toEqual([999, 888, 777, 666, 555, 444, 333, 222, 111, 0]);
    expect(scheduler.sigmas[0]).toBeCloseTo(14.6146, 4);
    expect(scheduler.initNoiseSigma).toBe(scheduler.sigmas[0]);
  });

  it("spaces 'trailing' steps from the last training timestep", () => {
    const scheduler = new EulerDiscreteScheduler({ ...SD15, timestep_spacing: "trailing" });
    scheduler.setTimesteps(10);
    expect(Array.from(scheduler.timesteps)).toEqual([999, 899, 799, 699, 599, 499, 399, 299, 199, 99]);
  });

  it("interpolates sigmas linearly between training timesteps, as np.interp does", () => {
    const scheduler = new EulerDiscreteScheduler({ ...SD15, timestep_spacing: "linspace" });
    scheduler.setTimesteps(3); // timesteps 999, 499.5, 0: halfway between 499 and 500
    const full = new EulerDiscreteScheduler(SD15);
    const at499 = full.sigmas[1000 - 1 - 499] as number;
    const at500 = full.sigmas[1000 - 1 - 500] as number;
    expect(scheduler.timesteps[1]).toBe(499.5);
    expect(scheduler.sigmas[1]).toBeCloseTo((at499 + at500) / 2, 6);
  });

  // diffusers tests/schedulers/test_scheduler_euler.py, test_full_loop_no_noise and
  // test_full_loop_with_v_prediction: config {num_train_timesteps: 1100, linear betas}, 10 steps,
  // dummy_sample_deter and dummy_model (sample * t / (t + 1)), with the same tolerances.
  const fullLoop = (predictionType: string) => {
    const scheduler = new EulerDiscreteScheduler({
      num_train_timesteps: 1100,
      beta_start: 0.0001,
      beta_end: 0.02,
      beta_schedule: "linear",
      prediction_type: predictionType,
    });
    scheduler.setTimesteps(10);
    const count = 4 * 3 * 8 * 8;
    let sample: Float32Array = new Float32Array(count);
    // torch.arange(768).flip(-1).reshape(3, 8, 8, 4) / 768, permuted to (4, 3, 8, 8)
    for (let b = 0; b < 4; b++)
      for (let c = 0; c < 3; c++)
        for (let h = 0; h < 8; h++)
          for (let w = 0; w < 8; w++) {
            const source = ((c * 8 + h) * 8 + w) * 4 + b;
            sample[((b * 3 + c) * 8 + h) * 8 + w] = (count - 1 - source) / count;
          }
    sample = sample.map((x) => x * scheduler.initNoiseSigma);
    for (const t of scheduler.timesteps) {
      sample = scheduler.scaleModelInput(sample, t);
      const output = sample.map((x) => Math.fround(x * t) / Math.fround(t + 1));
      sample = scheduler.step(output, t, sample).prevSample;
    }
    const sum = sample.reduce((s, x) => s + Math.abs(x), 0);
    return { sum, mean: sum / count };
  };

  it("reproduces diffusers' full-loop numbers for epsilon prediction", () => {
    const { sum, mean } = fullLoop("epsilon");
    expect(Math.abs(sum - 10.0807)).toBeLessThan(1e-3);
    expect(Math.abs(mean - 0.0131)).toBeLessThan(1e-4);
  });

  it("reproduces diffusers' full-loop numbers for v prediction (within diffusers' tolerance)", () => {
    const { sum, mean } = fullLoop("v_prediction");
    expect(Math.abs(sum - 0.0002)).toBeLessThan(1e-2);
    expect(Math.abs(mean - 2.2676e-6)).toBeLessThan(1e-3);
  });

  it("names the config key it cannot honour", () => {
    expect(() => new EulerDiscreteScheduler({ use_karras_sigmas: true })).toThrow(/use_karras_sigmas/);
    expect(() => new EulerDiscreteScheduler({ timestep_spacing: "sideways" })).toThrow(/timestep_spacing/);
  });

  it("is created by name and refuses unknown names", () => {
    expect(createScheduler("euler", {}).name).toBe("euler");
    expect(() => createScheduler("ddim-ish", {})).toThrow(/unknown scheduler "ddim-ish"; known: euler/);
  });
});

describe("torchLinspaceFloat32", () => {
  it("hits both ends exactly and is evenly spaced in between", () => {
    const values = torchLinspaceFloat32(0.00085 ** 0.5, 0.012 ** 0.5, 1000);
    expect(values[0]).toBe(Math.fround(0.00085 ** 0.5));
    expect(values[999]).toBe(Math.fround(0.012 ** 0.5));
    const step = ((values[999] as number) - (values[0] as number)) / 999;
    expect(Math.abs((values[500] as number) - (values[0] as number) - 500 * step)).toBeLessThan(1e-6);
  });
});
