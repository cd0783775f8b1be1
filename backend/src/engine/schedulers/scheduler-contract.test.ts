import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../errors.ts";
import { createGenerator } from "../rng/torch-generator.ts";
import {
  DUMMY_SHAPE,
  dummyModel,
  dummyNoiseDeter,
  dummySampleDeter,
  fullLoop,
  SD15_CONFIG,
  SD15_TIMESTEPS,
} from "./diffusers-test-dummies.ts";
import {
  createScheduler,
  type NoiseGenerator,
  SCHEDULER_NAMES,
  type Scheduler,
  SchedulerConfigError,
  type SchedulerName,
} from "./index.ts";

/**
 * What every scheduler owes the pipeline, as diffusers' `SchedulerCommonTest` asks it of each of its
 * schedulers. Numbers only one scheduler has (its published full loops, its own config keys) stay in
 * that scheduler's test file.
 */
interface SchedulerContract {
  /** The fixture (sd15-timesteps.fixture.json) with the SD 1.5 timesteps diffusers gives it; none for Karras and LCM. */
  timesteps: "euler" | "dpmsolver" | "ddim" | null;
  /** Adds noise at each step, drawn from the image's generator. */
  stochastic: boolean;
}

/** A `Record` over every name, so a new scheduler cannot skip the contract. */
const CONTRACTS: Record<SchedulerName, SchedulerContract> = {
  euler: { timesteps: "euler", stochastic: false },
  euler_a: { timesteps: "euler", stochastic: true },
  dpmpp_2m: { timesteps: "dpmsolver", stochastic: false },
  dpmpp_2m_karras: { timesteps: null, stochastic: false },
  dpmpp_2m_sde_karras: { timesteps: null, stochastic: true },
  ddim: { timesteps: "ddim", stochastic: false },
  lcm: { timesteps: null, stochastic: true },
};

const TRAIN_TIMESTEPS = SD15_CONFIG.num_train_timesteps;

function scheduled(name: SchedulerName, steps: number, config: Record<string, unknown> = {}): Scheduler {
  const scheduler = createScheduler(name, { ...SD15_CONFIG, ...config });
  scheduler.setTimesteps(steps);
  return scheduler;
}

const firstStep = (scheduler: Scheduler, generator: NoiseGenerator = createGenerator(0)) => {
  const sample = dummySampleDeter();
  const t = scheduler.timesteps[0] as number;
  return scheduler.step(dummyModel(sample, t), t, sample, generator, DUMMY_SHAPE);
};

describe.each(SCHEDULER_NAMES)("scheduler %s", (name) => {
  const contract = CONTRACTS[name];

  it("is built by its name from SD 1.5's PNDM config", () => {
    expect(scheduled(name, 4).name).toBe(name);
  });

  if (contract.timesteps !== null) {
    const fixture = SD15_TIMESTEPS[contract.timesteps];
    for (const spacing of ["linspace", "leading", "trailing"]) {
      for (const steps of [10, 20, 50]) {
        it(`spaces ${steps} '${spacing}' timesteps as diffusers does`, () => {
          const scheduler = scheduled(name, steps, { timestep_spacing: spacing });
          expect(Array.from(scheduler.timesteps)).toEqual(fixture?.[spacing]?.[String(steps)]);
        });
      }
    }
  }

  it("schedules the steps asked for, noisiest first, inside the training range", () => {
    for (const steps of [1, 2, 4, 25, 50]) {
      const scheduler = scheduled(name, steps);
      const timesteps = Array.from(scheduler.timesteps);
      expect(timesteps).toHaveLength(steps);
      expect(timesteps.every((t, i) => t >= 0 && t < TRAIN_TIMESTEPS && t <= (timesteps[i - 1] ?? t))).toBe(
        true,
      );
      const sigmas = scheduler.sigmas === null ? null : Array.from(scheduler.sigmas);
      if (sigmas !== null) {
        expect(sigmas).toHaveLength(steps + 1);
        expect(sigmas.every((s, i) => s >= 0 && s <= (sigmas[i - 1] ?? s))).toBe(true);
      }
      expect(scheduler.initNoiseSigma > 0 && Number.isFinite(scheduler.initNoiseSigma)).toBe(true);
      expect(Number.isInteger(scheduler.order) && scheduler.order >= 1).toBe(true);
    }
  });

  it("refuses a step count that is not a positive integer, naming steps", () => {
    for (const steps of [0, -1, 1.5, Number.NaN]) {
      const scheduler = createScheduler(name, SD15_CONFIG);
      expect(() => scheduler.setTimesteps(steps)).toThrow(InvalidArgumentError);
      expect(() => scheduler.setTimesteps(steps)).toThrow(/`steps`/);
    }
  });

  it("keeps the sample's shape and leaves its inputs as they were", () => {
    const scheduler = scheduled(name, 4);
    const sample = dummySampleDeter();
    const t = scheduler.timesteps[0] as number;
    const output = dummyModel(sample, t);
    const scaled = scheduler.scaleModelInput(sample, t);
    const { prevSample, predOriginalSample } = scheduler.step(
      output,
      t,
      sample,
      createGenerator(0),
      DUMMY_SHAPE,
    );
    const noised = scheduler.addNoise(sample, dummyNoiseDeter(), scheduler.timesteps[1] as number);
    for (const result of [scaled, prevSample, predOriginalSample, noised]) {
      expect(result).toHaveLength(sample.length);
      expect(result.every(Number.isFinite)).toBe(true);
    }
    expect(Array.from(sample)).toEqual(Array.from(dummySampleDeter()));
    expect(Array.from(output)).toEqual(Array.from(dummyModel(dummySampleDeter(), t)));
  });

  it("runs diffusers' full loop to the same finite sample every time, from the start or a begin index", () => {
    for (const tStart of [undefined, 4]) {
      const run = (seed: number) =>
        fullLoop(createScheduler(name, SD15_CONFIG), 10, {
          generator: createGenerator(seed),
          scaleModelInput: true,
          ...(tStart === undefined ? {} : { tStart }),
        });
      const sample = run(0);
      expect(sample.every(Number.isFinite)).toBe(true);
      expect(Array.from(run(0))).toEqual(Array.from(sample));
      // a stochastic scheduler's noise is the generator's: another seed, another sample
      expect(Array.from(run(1)).some((x, i) => x !== sample[i])).toBe(contract.stochastic);
    }
  });

  if (contract.stochastic) {
    it("refuses to step without a generator, naming it", () => {
      const scheduler = scheduled(name, 4);
      const sample = dummySampleDeter();
      expect(() => scheduler.step(sample, scheduler.timesteps[0] as number, sample)).toThrow(/`generator`/);
    });

    it("draws one generator per batch item when given a list, as randn_tensor does", () => {
      const batched = firstStep(
        scheduled(name, 4),
        [0, 1, 2, 3].map((seed) => createGenerator(seed)),
      ).prevSample;
      const single = firstStep(scheduled(name, 4)).prevSample;
      // Item 0 of the list draws what a lone generator draws first for a [1, 3, 8, 8] item.
      const itemLength = 3 * 8 * 8;
      const itemZero = (() => {
        const scheduler = scheduled(name, 4);
        const sample = dummySampleDeter().subarray(0, itemLength);
        const t = scheduler.timesteps[0] as number;
        return scheduler.step(dummyModel(sample, t), t, sample, createGenerator(0), [1, 3, 8, 8]).prevSample;
      })();
      expect(Array.from(batched.subarray(0, itemLength))).toEqual(Array.from(itemZero));
      expect(Array.from(batched.subarray(itemLength))).not.toEqual(Array.from(single.subarray(itemLength)));
    });
  } else {
    it("steps without a generator", () => {
      const scheduler = scheduled(name, 4);
      const sample = dummySampleDeter();
      const t = scheduler.timesteps[0] as number;
      expect(() => scheduler.step(dummyModel(sample, t), t, sample)).not.toThrow();
    });
  }

  it("names the config value it cannot follow", () => {
    const refused = {
      beta_schedule: "sqrt",
      timestep_spacing: "sideways",
      trained_betas: [0.1, 0.2],
      prediction_type: "bogus",
    };
    for (const [key, value] of Object.entries(refused)) {
      const build = () => scheduled(name, 4, { [key]: value });
      expect(build).toThrow(SchedulerConfigError);
      expect(build).toThrow(new RegExp(key));
    }
  });
});
