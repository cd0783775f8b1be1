import { describe, expect, it } from "vitest";
import { createGenerator } from "../rng/torch-generator.ts";
import { expectPublished } from "./diffusers-expectations.ts";
import { absSumMean, dummySampleDeter, fullLoop } from "./diffusers-test-dummies.ts";
import { createScheduler } from "./index.ts";
import { LcmScheduler } from "./lcm.ts";

/** tests/schedulers/test_scheduler_lcm.py, `get_scheduler_config`. */
const TEST_CONFIG = {
  num_train_timesteps: 1000,
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: "scaled_linear",
  prediction_type: "epsilon",
};

/** Noise between steps comes from `torch.manual_seed(0)`, here `createGenerator(0)`. */
const loop = (steps: number) =>
  absSumMean(fullLoop(new LcmScheduler(TEST_CONFIG), steps, { generator: createGenerator(0) }));

describe("LCMScheduler reproduces diffusers' published full-loop numbers", () => {
  it("test_full_loop_onestep: sum 18.7097, mean 0.0244", () => {
    const { sum, mean } = loop(1);
    expectPublished(sum, "18.7097");
    expectPublished(mean, "0.0244");
  });

  it("test_full_loop_multistep: sum 197.7616, mean 0.2575", () => {
    const { sum, mean } = loop(10);
    expectPublished(sum, "197.7616");
    expectPublished(mean, "0.2575");
  });
});

describe("LCMScheduler", () => {
  it("picks 999, 759, 499, 259 for 4 steps from the 50-step training grid", () => {
    const scheduler = createScheduler("lcm", TEST_CONFIG);
    scheduler.setTimesteps(4);
    expect(Array.from(scheduler.timesteps)).toEqual([999, 759, 499, 259]);
  });

  it("needs no generator for one step: no noise follows the last step", () => {
    const sample = dummySampleDeter();
    const one = createScheduler("lcm", TEST_CONFIG);
    one.setTimesteps(1);
    expect(() => one.step(sample, one.timesteps[0] as number, sample)).not.toThrow();
  });

  it("refuses more steps than original_inference_steps, naming steps", () => {
    expect(() => createScheduler("lcm", TEST_CONFIG).setTimesteps(51)).toThrow(/`steps`/);
  });
});
