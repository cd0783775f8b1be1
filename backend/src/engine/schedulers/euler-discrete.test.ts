import { describe, expect, it } from "vitest";
import { expectPublished, expectWithinDiffusersTolerance } from "./diffusers-expectations.ts";
import { absSumMean, fullLoop, SD15_CONFIG } from "./diffusers-test-dummies.ts";
import { EulerDiscreteScheduler } from "./euler-discrete.ts";
import { createScheduler, SchedulerConfigError } from "./index.ts";
import { torchLinspaceFloat32 } from "./noise-schedule.ts";

/** tests/schedulers/test_scheduler_euler.py, `get_scheduler_config`. */
const TEST_CONFIG = {
  num_train_timesteps: 1100,
  beta_start: 0.0001,
  beta_end: 0.02,
  beta_schedule: "linear",
};
/** The Euler tests scale the dummy sample by `init_noise_sigma` and call `scale_model_input`. */
const EULER_LOOP = { scaleByInitNoiseSigma: true, scaleModelInput: true };

describe("EulerDiscreteScheduler reproduces diffusers' published full-loop numbers", () => {
  it("test_full_loop_no_noise: sum 10.0807, mean 0.0131", () => {
    const { sum, mean } = absSumMean(fullLoop(new EulerDiscreteScheduler(TEST_CONFIG), 10, EULER_LOOP));
    expectPublished(sum, "10.0807");
    expectPublished(mean, "0.0131");
  });

  it("test_full_loop_with_v_prediction: sum 0.0002, mean 2.2676e-06 (float32 residue of zero)", () => {
    const scheduler = new EulerDiscreteScheduler({ ...TEST_CONFIG, prediction_type: "v_prediction" });
    const { sum, mean } = absSumMean(fullLoop(scheduler, 10, EULER_LOOP));
    // The exact result is 0; torch's rounding leaves ~1e-6 where ours leaves ~1e-13, so only
    // diffusers' own tolerances (1e-2, 1e-3) are meaningful here.
    expectWithinDiffusersTolerance(sum, 0.0002, 1e-2);
    expectWithinDiffusersTolerance(mean, 2.2676e-6, 1e-3);
  });

  it("test_full_loop_device_karras_sigmas: sum 124.52299499511719, mean 0.16213932633399963", () => {
    const scheduler = new EulerDiscreteScheduler({ ...TEST_CONFIG, use_karras_sigmas: true });
    const { sum, mean } = absSumMean(fullLoop(scheduler, 10, EULER_LOOP));
    // We get 124.52258 (an independent numpy replica of today's diffusers code agrees); the
    // published number is 4e-4 away, inside diffusers' tolerance of 1e-2.
    expectWithinDiffusersTolerance(sum, 124.52299499511719, 1e-3);
    expectPublished(mean, "0.162139");
  });

  it("test_full_loop_with_noise: add_noise at timesteps[8], sum 57062.9297, mean 74.3007", () => {
    const scheduler = new EulerDiscreteScheduler(TEST_CONFIG);
    const { sum, mean } = absSumMean(fullLoop(scheduler, 10, { ...EULER_LOOP, tStart: 8 }));
    expectPublished(sum, "57062.9297");
    expectPublished(mean, "74.3007");
  });
});

describe("EulerDiscreteScheduler on SD 1.5's config", () => {
  it("uses Euler's own default spacing 'linspace' for a PNDM config without one, as from_config does", () => {
    const scheduler = createScheduler("euler", SD15_CONFIG);
    scheduler.setTimesteps(10);
    expect(scheduler.timesteps[0]).toBe(999);
  });

  it("matches the 15-step SD sigmas diffusers/pull/2874 lists (k-diffusion's default schedule)", () => {
    const scheduler = createScheduler("euler", SD15_CONFIG);
    scheduler.setTimesteps(15);
    const published = [
      14.6146, 9.6826, 6.678, 4.7746, 3.5221, 2.6666, 2.0606, 1.6156, 1.2768, 1.0097, 0.7913, 0.6056, 0.4397,
      0.278, 0.0292, 0,
    ];
    expect(Array.from(scheduler.sigmas ?? [], (s) => Number(s.toFixed(4)))).toEqual(published);
    expect(scheduler.initNoiseSigma).toBe(scheduler.sigmas?.[0]);
  });

  it("spans ComfyUI's published SD sigma range 14.614642 … 0.0291675 with Karras sigmas", () => {
    const scheduler = createScheduler("euler", { ...SD15_CONFIG, use_karras_sigmas: true });
    scheduler.setTimesteps(20);
    const sigmas = scheduler.sigmas ?? new Float32Array(0);
    expect(sigmas[0]).toBeCloseTo(14.614642, 5);
    expect(sigmas[19]).toBeCloseTo(0.0291675, 6);
    expect(sigmas[20]).toBe(0);
    // Karras timesteps are fractional, found back from the sigmas (_sigma_to_t).
    expect(scheduler.timesteps[0]).toBe(999);
    expect(scheduler.timesteps[19]).toBe(0);
    expect(Number.isInteger(scheduler.timesteps[10])).toBe(false);
  });

  it("scales initial noise by sqrt(max_sigma² + 1) with 'leading' spacing", () => {
    const scheduler = createScheduler("euler", { ...SD15_CONFIG, timestep_spacing: "leading" });
    scheduler.setTimesteps(10);
    const sigma0 = scheduler.sigmas?.[0] as number;
    expect(scheduler.initNoiseSigma).toBeCloseTo(Math.sqrt(sigma0 * sigma0 + 1), 5);
  });

  it("ends on the smallest training sigma with final_sigmas_type 'sigma_min'", () => {
    const scheduler = createScheduler("euler", { ...SD15_CONFIG, final_sigmas_type: "sigma_min" });
    scheduler.setTimesteps(10);
    expect(scheduler.sigmas?.[10]).toBeCloseTo(0.0291675, 6);
  });

  it("starts img2img at the begin index: add_noise and the first step use that sigma", () => {
    const scheduler = createScheduler("euler", SD15_CONFIG);
    scheduler.setTimesteps(10);
    scheduler.setBeginIndex(4);
    const sigma = scheduler.sigmas?.[4] as number;
    const noisy = scheduler.addNoise(new Float32Array([1]), new Float32Array([1]), 0);
    expect(noisy[0]).toBeCloseTo(1 + sigma, 5);
    const scaled = scheduler.scaleModelInput(new Float32Array([1]), scheduler.timesteps[4] as number);
    expect(scaled[0]).toBeCloseTo(1 / Math.sqrt(sigma * sigma + 1), 6);
  });
});

describe("EulerDiscreteScheduler config", () => {
  it("names the config key it cannot honour", () => {
    expect(() => new EulerDiscreteScheduler({ use_exponential_sigmas: true })).toThrow(SchedulerConfigError);
    expect(() => new EulerDiscreteScheduler({ use_exponential_sigmas: true })).toThrow(
      /use_exponential_sigmas/,
    );
  });

  it("rescales betas to zero terminal SNR, the last alpha product replaced by 2^-24", () => {
    const scheduler = createScheduler("euler", {
      ...SD15_CONFIG,
      rescale_betas_zero_snr: true,
      timestep_spacing: "trailing",
    });
    scheduler.setTimesteps(10);
    // sigma at t=999 is ((1 - 2^-24) / 2^-24) ** 0.5 = 4096.
    expect(scheduler.sigmas?.[0]).toBeCloseTo(4096, 1);
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
