import { describe, expect, it } from "vitest";
import { DdimScheduler } from "./ddim.ts";
import { expectPublished } from "./diffusers-expectations.ts";
import { absSumMean, fullLoop, SD15_CONFIG } from "./diffusers-test-dummies.ts";
import { createScheduler } from "./index.ts";

/** tests/schedulers/test_scheduler_ddim.py, `get_scheduler_config` (note `clip_sample: True`). */
const TEST_CONFIG = {
  num_train_timesteps: 1000,
  beta_start: 0.0001,
  beta_end: 0.02,
  beta_schedule: "linear",
  clip_sample: true,
};
const loop = (config: Record<string, unknown> = {}, tStart?: number) =>
  absSumMean(
    fullLoop(new DdimScheduler({ ...TEST_CONFIG, ...config }), 10, tStart === undefined ? {} : { tStart }),
  );

describe("DDIMScheduler reproduces diffusers' published numbers (eta 0)", () => {
  it("test_full_loop_no_noise: sum 172.0067, mean 0.223967", () => {
    const { sum, mean } = loop();
    expectPublished(sum, "172.0067");
    expectPublished(mean, "0.223967");
  });

  it("test_full_loop_with_v_prediction: sum 52.5302, mean 0.0684", () => {
    const { sum, mean } = loop({ prediction_type: "v_prediction" });
    expectPublished(sum, "52.5302");
    expectPublished(mean, "0.0684");
  });

  it("test_full_loop_with_set_alpha_to_one: sum 149.8295, mean 0.1951", () => {
    const { sum, mean } = loop({ set_alpha_to_one: true, beta_start: 0.01 });
    expectPublished(sum, "149.8295");
    expectPublished(mean, "0.1951");
  });

  it("test_full_loop_with_no_set_alpha_to_one: sum 149.0784, mean 0.1941", () => {
    const { sum, mean } = loop({ set_alpha_to_one: false, beta_start: 0.01 });
    expectPublished(sum, "149.0784");
    expectPublished(mean, "0.1941");
  });

  it("test_full_loop_with_noise: add_noise at timesteps[8], sum 354.5418, mean 0.4616", () => {
    const { sum, mean } = loop({}, 8);
    expectPublished(sum, "354.5418");
    expectPublished(mean, "0.4616");
  });

  it("test_steps_offset: 5 steps with steps_offset 1 are 801, 601, 401, 201, 1", () => {
    const scheduler = new DdimScheduler({ ...TEST_CONFIG, steps_offset: 1 });
    scheduler.setTimesteps(5);
    expect(Array.from(scheduler.timesteps)).toEqual([801, 601, 401, 201, 1]);
  });
});

describe("DDIMScheduler on SD 1.5's config", () => {
  it("has no sigmas and starts from unit noise", () => {
    const scheduler = createScheduler("DDIM", SD15_CONFIG);
    expect(scheduler.sigmas).toBeNull();
    expect(scheduler.initNoiseSigma).toBe(1);
  });

  it("refuses more steps than training timesteps, naming steps", () => {
    expect(() => createScheduler("ddim", SD15_CONFIG).setTimesteps(1001)).toThrow(/`steps`/);
  });
});
