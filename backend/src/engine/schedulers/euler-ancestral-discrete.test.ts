import { describe, expect, it } from "vitest";
import { createGenerator } from "../rng/torch-generator.ts";
import { expectPublished } from "./diffusers-expectations.ts";
import { absSumMean, fullLoop } from "./diffusers-test-dummies.ts";
import { EulerAncestralDiscreteScheduler } from "./euler-ancestral-discrete.ts";

/** tests/schedulers/test_scheduler_euler_ancestral.py, `get_scheduler_config`. */
const TEST_CONFIG = {
  num_train_timesteps: 1100,
  beta_start: 0.0001,
  beta_end: 0.02,
  beta_schedule: "linear",
};

/**
 * The loops draw their noise from `torch.manual_seed(0)`, here `createGenerator(0)`: these numbers
 * hold only while that generator reproduces torch's stream (see rng/torch-generator.ts).
 */
const loop = (extra: { tStart?: number } = {}) => ({
  scaleByInitNoiseSigma: true,
  scaleModelInput: true,
  generator: createGenerator(0),
  ...extra,
});

describe("EulerAncestralDiscreteScheduler reproduces diffusers' published full-loop numbers", () => {
  it("test_full_loop_no_noise: sum 152.3192, mean 0.1983", () => {
    const { sum, mean } = absSumMean(fullLoop(new EulerAncestralDiscreteScheduler(TEST_CONFIG), 10, loop()));
    expectPublished(sum, "152.3192");
    expectPublished(mean, "0.1983");
  });

  it("test_full_loop_with_v_prediction: sum 108.4439, mean 0.1412", () => {
    const scheduler = new EulerAncestralDiscreteScheduler({
      ...TEST_CONFIG,
      prediction_type: "v_prediction",
    });
    const { sum, mean } = absSumMean(fullLoop(scheduler, 10, loop()));
    expectPublished(sum, "108.4439");
    expectPublished(mean, "0.1412");
  });

  it("test_full_loop_with_noise: add_noise at timesteps[8], sum 56163.0508, mean 73.1290", () => {
    const { sum, mean } = absSumMean(
      fullLoop(new EulerAncestralDiscreteScheduler(TEST_CONFIG), 10, loop({ tStart: 8 })),
    );
    expectPublished(sum, "56163.0508");
    expectPublished(mean, "73.1290");
  });
});

describe("EulerAncestralDiscreteScheduler", () => {
  it("names 'sample' prediction, which diffusers' Euler a does not implement", () => {
    expect(() => new EulerAncestralDiscreteScheduler({ prediction_type: "sample" })).toThrow(
      /prediction_type/,
    );
  });
});
