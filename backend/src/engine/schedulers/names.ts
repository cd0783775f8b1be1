import { InvalidArgumentError } from "../errors.ts";

/** The schedulers `createScheduler` builds, by canonical name. */
export const SCHEDULER_NAMES = [
  "euler",
  "euler_a",
  "dpmpp_2m",
  "dpmpp_2m_karras",
  "dpmpp_2m_sde_karras",
  "ddim",
  "lcm",
] as const;

export type SchedulerName = (typeof SCHEDULER_NAMES)[number];

/** The sampler names A1111 shows and writes into a PNG's `parameters` text. */
const A1111_NAMES: Readonly<Record<SchedulerName, string>> = {
  euler: "Euler",
  euler_a: "Euler a",
  dpmpp_2m: "DPM++ 2M",
  dpmpp_2m_karras: "DPM++ 2M Karras",
  dpmpp_2m_sde_karras: "DPM++ 2M SDE Karras",
  ddim: "DDIM",
  lcm: "LCM",
};

/**
 * Other names for the same samplers, lowercase: A1111's sampler names, ComfyUI's sampler names and
 * their `sampler scheduler` pairs ("normal" is ComfyUI's default schedule, "karras" its Karras one).
 * ComfyUI's `dpmpp_2m_sde` alone is not here: only its Karras variant is offered.
 */
export const SCHEDULER_ALIASES: Readonly<Record<string, SchedulerName>> = {
  // A1111 (sampler names; since 1.9 also sampler + "Karras" schedule type)
  "euler a": "euler_a",
  "dpm++ 2m": "dpmpp_2m",
  "dpm++ 2m karras": "dpmpp_2m_karras",
  "dpm++ 2m sde karras": "dpmpp_2m_sde_karras",
  // ComfyUI samplers, alone and with their scheduler
  euler_ancestral: "euler_a",
  "euler normal": "euler",
  "euler_ancestral normal": "euler_a",
  "dpmpp_2m normal": "dpmpp_2m",
  "dpmpp_2m karras": "dpmpp_2m_karras",
  "dpmpp_2m_sde karras": "dpmpp_2m_sde_karras",
  "ddim normal": "ddim",
  "ddim ddim_uniform": "ddim",
  "lcm normal": "lcm",
  // diffusers class names
  eulerdiscretescheduler: "euler",
  eulerancestraldiscretescheduler: "euler_a",
  ddimscheduler: "ddim",
  lcmscheduler: "lcm",
};

const canonical: ReadonlySet<string> = new Set(SCHEDULER_NAMES);

function isSchedulerName(name: string): name is SchedulerName {
  return canonical.has(name);
}

/**
 * The canonical name for a canonical name, an A1111 or a ComfyUI name, case- and space-insensitively;
 * `null` when it names no scheduler here.
 *
 * @example
 * resolveSchedulerName("DPM++ 2M Karras"); // "dpmpp_2m_karras"
 * resolveSchedulerName("dpmpp_2m  karras"); // "dpmpp_2m_karras"
 */
export function resolveSchedulerName(nameOrAlias: string): SchedulerName | null {
  const key = nameOrAlias.trim().toLowerCase().replace(/\s+/g, " ");
  if (isSchedulerName(key)) return key;
  return Object.hasOwn(SCHEDULER_ALIASES, key) ? (SCHEDULER_ALIASES[key] ?? null) : null;
}

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
  return A1111_NAMES[requireSchedulerName(name)];
}
