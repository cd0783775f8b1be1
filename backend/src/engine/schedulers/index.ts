import { DdimScheduler } from "./ddim.ts";
import { DpmSolverMultistepScheduler } from "./dpm-solver-multistep.ts";
import { EulerAncestralDiscreteScheduler } from "./euler-ancestral-discrete.ts";
import { EulerDiscreteScheduler } from "./euler-discrete.ts";
import { LcmScheduler } from "./lcm.ts";
import { requireSchedulerName, SCHEDULER_NAMES, type SchedulerName } from "./names.ts";
import type { Scheduler, SchedulerConfig } from "./types.ts";

export { isSchedulerConfigError, SchedulerConfigError } from "./config.ts";
export { DdimScheduler } from "./ddim.ts";
export { DpmSolverMultistepScheduler } from "./dpm-solver-multistep.ts";
export { EulerAncestralDiscreteScheduler } from "./euler-ancestral-discrete.ts";
export { EulerDiscreteScheduler, parseEulerConfig } from "./euler-discrete.ts";
export { LcmScheduler } from "./lcm.ts";
export {
  a1111SamplerName,
  resolveSchedulerName,
  SCHEDULER_ALIASES,
  SCHEDULER_NAMES,
  type SchedulerName,
} from "./names.ts";
export type {
  NoiseGenerator,
  Scheduler,
  SchedulerConfig,
  SchedulerFactory,
  SchedulerStepResult,
} from "./types.ts";

/**
 * How each name builds its diffusers scheduler. The config supplies the noise schedule; the name fixes
 * the algorithm, overriding what the config says (as choosing "DPM++ 2M" does in A1111): e.g.
 * `dpmpp_2m` on a config with `use_karras_sigmas: true` still uses the plain sigmas.
 */
const registry: Readonly<Record<SchedulerName, (config: SchedulerConfig) => Scheduler>> = {
  euler: (config) => new EulerDiscreteScheduler(config, "euler"),
  euler_a: (config) => new EulerAncestralDiscreteScheduler(config, "euler_a"),
  dpmpp_2m: (config) =>
    new DpmSolverMultistepScheduler(
      { ...config, algorithm_type: "dpmsolver++", solver_order: 2, use_karras_sigmas: false },
      "dpmpp_2m",
    ),
  dpmpp_2m_karras: (config) =>
    new DpmSolverMultistepScheduler(
      { ...config, algorithm_type: "dpmsolver++", solver_order: 2, use_karras_sigmas: true },
      "dpmpp_2m_karras",
    ),
  dpmpp_2m_sde_karras: (config) =>
    new DpmSolverMultistepScheduler(
      { ...config, algorithm_type: "sde-dpmsolver++", solver_order: 2, use_karras_sigmas: true },
      "dpmpp_2m_sde_karras",
    ),
  ddim: (config) => new DdimScheduler(config, "ddim"),
  lcm: (config) => new LcmScheduler(config, "lcm"),
};

/** The canonical names `createScheduler` accepts (aliases resolve to these). */
export const schedulerNames: readonly string[] = SCHEDULER_NAMES;

/**
 * A fresh scheduler by canonical, A1111 or ComfyUI name, configured from a diffusers
 * `scheduler_config.json` object (of any scheduler class). An unknown name is an
 * `InvalidArgumentError` for `scheduler`; a config value this port cannot honour a `SchedulerConfigError`
 * naming the key.
 *
 * @example
 * const scheduler = createScheduler("DPM++ 2M Karras", JSON.parse(await readFile("scheduler/scheduler_config.json", "utf8")));
 */
export function createScheduler(name: string, config: SchedulerConfig): Scheduler {
  return registry[requireSchedulerName(name)](config);
}
