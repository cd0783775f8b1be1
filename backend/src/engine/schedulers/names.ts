import {
  a1111JoinedSamplerName,
  resolveSchedulerName,
  SCHEDULER_NAMES,
  type SchedulerName,
} from "@sdgate/shared";
import { InvalidArgumentError } from "../errors.ts";

// The names and aliases are the API contract's (shared/src/schedulers.ts), so a name the API accepts
// is always one the engine builds.
export { resolveSchedulerName, SCHEDULER_ALIASES, SCHEDULER_NAMES, type SchedulerName } from "@sdgate/shared";

/** Like `resolveSchedulerName`, but an unknown name is an `InvalidArgumentError` for `scheduler`. */
export function requireSchedulerName(nameOrAlias: string): SchedulerName {
  const name = resolveSchedulerName(nameOrAlias);
  if (name === null) {
    throw new InvalidArgumentError(
      "scheduler",
      nameOrAlias,
      `has to be one of ${SCHEDULER_NAMES.join(", ")} (or an A1111/ComfyUI name for one)`,
    );
  }
  return name;
}

/**
 * The A1111 sampler name for a scheduler name or alias, for the PNG `parameters` text.
 *
 * @example
 * a1111SamplerName("dpmpp_2m_karras"); // "DPM++ 2M Karras"
 */
export function a1111SamplerName(name: string): string {
  return a1111JoinedSamplerName(requireSchedulerName(name));
}
