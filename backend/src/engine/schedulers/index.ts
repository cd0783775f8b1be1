import { EulerDiscreteScheduler } from "./euler-discrete.ts";
import type { Scheduler, SchedulerConfig, SchedulerFactory } from "./types.ts";

export { EulerDiscreteScheduler, parseEulerConfig } from "./euler-discrete.ts";
export type { Scheduler, SchedulerConfig, SchedulerFactory, SchedulerStepResult } from "./types.ts";

/** Schedulers by the names requests use; add one file per scheduler and one line here. */
const registry: Readonly<Record<string, SchedulerFactory>> = {
  euler: (config) => new EulerDiscreteScheduler(config),
};

/** The names `createScheduler` accepts. */
export const schedulerNames: readonly string[] = Object.keys(registry);

/**
 * A fresh scheduler by name, configured from a diffusers `scheduler_config.json` object.
 *
 * @example
 * const scheduler = createScheduler("euler", JSON.parse(await readFile("scheduler/scheduler_config.json", "utf8")));
 */
export function createScheduler(name: string, config: SchedulerConfig): Scheduler {
  const factory = Object.hasOwn(registry, name) ? registry[name] : undefined;
  if (factory === undefined) {
    throw new Error(`unknown scheduler ${JSON.stringify(name)}; known: ${schedulerNames.join(", ")}`);
  }
  return factory(config);
}
