/**
 * Scheduler (sampler) names the API accepts. The canonical names are sdgate's; the aliases are what
 * people bring from other tools: A1111's sampler names, ComfyUI's sampler (+ scheduler) names and
 * diffusers' class names. Matching ignores case and repeated spaces. The engine resolves names with
 * these same tables, so the API and the engine can never disagree about a name.
 */
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

export const SCHEDULER_ALIASES: Readonly<Record<string, SchedulerName>> = {
  // A1111 / Forge sampler names.
  "euler a": "euler_a",
  "dpm++ 2m": "dpmpp_2m",
  "dpm++ 2m karras": "dpmpp_2m_karras",
  "dpm++ 2m sde karras": "dpmpp_2m_sde_karras",
  // ComfyUI sampler names, alone or with their scheduler.
  euler_ancestral: "euler_a",
  "euler normal": "euler",
  "euler_ancestral normal": "euler_a",
  "dpmpp_2m normal": "dpmpp_2m",
  "dpmpp_2m karras": "dpmpp_2m_karras",
  "dpmpp_2m_sde karras": "dpmpp_2m_sde_karras",
  "ddim normal": "ddim",
  "ddim ddim_uniform": "ddim",
  "lcm normal": "lcm",
  // diffusers scheduler classes.
  eulerdiscretescheduler: "euler",
  eulerancestraldiscretescheduler: "euler_a",
  dpmsolvermultistepscheduler: "dpmpp_2m",
  ddimscheduler: "ddim",
  lcmscheduler: "lcm",
};

/** The canonical name for a scheduler name or alias, or `null` when it names none. */
export function resolveSchedulerName(name: string): SchedulerName | null {
  const key = name.trim().toLowerCase().replace(/\s+/g, " ");
  if ((SCHEDULER_NAMES as readonly string[]).includes(key)) return key as SchedulerName;
  // hasOwn: a name like "constructor" must not resolve through Object.prototype.
  return Object.hasOwn(SCHEDULER_ALIASES, key) ? (SCHEDULER_ALIASES[key] ?? null) : null;
}

/**
 * Each scheduler as A1111 (≥ 1.9) names it: a sampler and a noise schedule, which A1111 sends apart
 * (`sampler_name: "DPM++ 2M"`, `scheduler: "Karras"`) and writes joined into a PNG's infotext
 * ("DPM++ 2M Karras"). "Automatic" is the sampler's own schedule.
 */
export const A1111_SAMPLERS: Readonly<
  Record<SchedulerName, { sampler: string; schedule: "Automatic" | "Karras" }>
> = {
  euler: { sampler: "Euler", schedule: "Automatic" },
  euler_a: { sampler: "Euler a", schedule: "Automatic" },
  dpmpp_2m: { sampler: "DPM++ 2M", schedule: "Automatic" },
  dpmpp_2m_karras: { sampler: "DPM++ 2M", schedule: "Karras" },
  dpmpp_2m_sde_karras: { sampler: "DPM++ 2M SDE", schedule: "Karras" },
  ddim: { sampler: "DDIM", schedule: "Automatic" },
  lcm: { sampler: "LCM", schedule: "Automatic" },
};

/**
 * A scheduler's A1111 name as its infotext writes it (A1111 < 1.9's joined name).
 *
 * @example
 * a1111JoinedSamplerName("dpmpp_2m_karras"); // "DPM++ 2M Karras"
 */
export function a1111JoinedSamplerName(name: SchedulerName): string {
  const { sampler, schedule } = A1111_SAMPLERS[name];
  return schedule === "Automatic" ? sampler : `${sampler} ${schedule}`;
}

/** Noise generators: torch's CPU generator (diffusers, ComfyUI) or A1111's Philox "NV" generator. */
export const RNG_NAMES = ["torch_cpu", "philox"] as const;
export type RngName = (typeof RNG_NAMES)[number];
