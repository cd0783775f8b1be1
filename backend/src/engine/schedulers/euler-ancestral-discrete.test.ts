import { describe, expect, it } from "vitest";
import { createGenerator } from "../rng/torch-generator.ts";
import { expectPublished } from "./diffusers-expectations.ts";
import {
  absSumMean,
  DUMMY_SHAPE,
  dummySampleDeter,
  fullLoop,
  SD15_CONFIG,
  SD15_TIMESTEPS,
} from "./diffusers-test-dummies.ts";
import { EulerAncestralDiscreteScheduler } from "./euler-ancestral-discrete.ts";
import { createScheduler } from "./index.ts";

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
  it("spaces SD 1.5's timesteps like Euler", () => {
    for (const spacing of ["linspace", "leading", "trailing"]) {
      const scheduler = createScheduler("euler_a", { ...SD15_CONFIG, timestep_spacing: spacing });
      scheduler.setTimesteps(20);
      expect(Array.from(scheduler.timesteps)).toEqual(SD15_TIMESTEPS.euler?.[spacing]?.["20"]);
    }
  });

  it("refuses to step without a generator, naming it", () => {
    const scheduler = createScheduler("euler_a", SD15_CONFIG);
    scheduler.setTimesteps(4);
    const sample = dummySampleDeter();
    expect(() => scheduler.step(sample, scheduler.timesteps[0] as number, sample)).toThrow(/`generator`/);
  });

  it("draws one generator per batch item when given a list, as randn_tensor does", () => {
    const run = (generator: Parameters<ReturnType<typeof createScheduler>["step"]>[3]) => {
      const scheduler = createScheduler("euler_a", SD15_CONFIG);
      scheduler.setTimesteps(4);
      const sample = dummySampleDeter();
      return scheduler.step(sample, scheduler.timesteps[0] as number, sample, generator, DUMMY_SHAPE)
        .prevSample;
    };
    const batched = run([0, 1, 2, 3].map((seed) => createGenerator(seed)));
    const single = run(createGenerator(0));
    // Item 0 of the list draws what a lone generator draws first for a [1, 3, 8, 8] item.
    const itemLength = 3 * 8 * 8;
    const itemZero = (() => {
      const scheduler = createScheduler("euler_a", SD15_CONFIG);
      scheduler.setTimesteps(4);
      const sample = dummySampleDeter().subarray(0, itemLength);
      return scheduler.step(
        sample,
        scheduler.timesteps[0] as number,
        sample,
        createGenerator(0),
        [1, 3, 8, 8],
      ).prevSample;
    })();
    expect(Array.from(batched.subarray(0, itemLength))).toEqual(Array.from(itemZero));
    expect(Array.from(batched.subarray(itemLength))).not.toEqual(Array.from(single.subarray(itemLength)));
  });

  it("names 'sample' prediction, which diffusers' Euler a does not implement", () => {
    expect(() => new EulerAncestralDiscreteScheduler({ prediction_type: "sample" })).toThrow(
      /prediction_type/,
    );
  });
});
