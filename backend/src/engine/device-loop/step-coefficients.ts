import { InvalidArgumentError } from "../errors.ts";
import {
  DdimScheduler,
  DpmSolverMultistepScheduler,
  EulerAncestralDiscreteScheduler,
  EulerDiscreteScheduler,
  LcmScheduler,
  type Scheduler,
} from "../schedulers/index.ts";
import type { AffineSchedule } from "./affine-schedule.ts";
import { ddimSchedule, lcmSchedule } from "./alpha-steps.ts";
import { dpmSchedule } from "./dpm-steps.ts";
import { packStepTable, type StepCoefficients, type StepTable } from "./linear-step.ts";
import { eulerSchedule } from "./sigma-steps.ts";
import { DeviceLoopUnsupportedError } from "./unsupported-config.ts";

export interface StepTableOptions {
  /** The guidance scale, one for every step or one per step (run from the begin index on). */
  guidanceScale: number | readonly number[];
  /**
   * img2img: the index into `scheduler.timesteps` the generation starts at, the value given to
   * `scheduler.setBeginIndex`; 0 (default) for a full schedule.
   */
  beginIndex?: number;
}

/**
 * The coefficient table of a whole generation for the device loop: step k runs the host scheduler's
 * step at `timesteps[beginIndex + k]`, with its coefficients read off the scheduler's own schedule
 * (call after `setTimesteps`, and `setBeginIndex` for img2img, before any `step`). A config the affine
 * step cannot express throws {@link DeviceLoopUnsupportedError} naming the key: run the host loop then.
 *
 * @example
 * const scheduler = createScheduler("dpmpp_2m_karras", config);
 * scheduler.setTimesteps(20);
 * const { table, cIn0, t0 } = buildStepTable(scheduler, { guidanceScale: 7.5 });
 */
export function buildStepTable(scheduler: Scheduler, options: StepTableOptions): StepTable {
  const timesteps = scheduler.timesteps;
  const begin = options.beginIndex ?? 0;
  if (!Number.isInteger(begin) || begin < 0 || begin >= timesteps.length) {
    throw new InvalidArgumentError(
      "beginIndex",
      begin,
      `has to be an index into the ${timesteps.length} timesteps`,
    );
  }
  const steps = timesteps.length - begin;
  const guidance = guidanceScales(options.guidanceScale, steps);
  const schedule = affineSchedule(scheduler);
  const rows: StepCoefficients[] = [];
  for (let k = 0; k < steps; k++) {
    const index = begin + k;
    const next = timesteps[index + 1];
    rows.push({
      g: guidance[k] as number,
      ...schedule.update(index, k),
      cInNext: next === undefined ? 0 : schedule.inputScale(index + 1),
      tNext: next ?? 0,
    });
  }
  return packStepTable(rows, { cIn0: schedule.inputScale(begin), t0: timesteps[begin] as number });
}

function guidanceScales(scale: number | readonly number[], steps: number): readonly number[] {
  if (typeof scale === "number") return Array.from({ length: steps }, () => scale);
  if (scale.length !== steps) {
    throw new InvalidArgumentError(
      "guidanceScale",
      `${scale.length} values`,
      `needs one per step (${steps})`,
    );
  }
  return scale;
}

/** The scheduler's family as coefficients; the schedulers registered in `createScheduler`. */
function affineSchedule(scheduler: Scheduler): AffineSchedule {
  if (scheduler instanceof EulerAncestralDiscreteScheduler) return eulerSchedule(scheduler, true);
  if (scheduler instanceof EulerDiscreteScheduler) return eulerSchedule(scheduler, false);
  if (scheduler instanceof DpmSolverMultistepScheduler) return dpmSchedule(scheduler);
  if (scheduler instanceof DdimScheduler) return ddimSchedule(scheduler);
  if (scheduler instanceof LcmScheduler) return lcmSchedule(scheduler);
  throw new DeviceLoopUnsupportedError(scheduler.name, "scheduler", scheduler.name, "no affine form known");
}
