import {
  A1111_SAMPLERS,
  type RequestProblem,
  type Result,
  resolveSchedulerName,
  SCHEDULER_NAMES,
  type SchedulerName,
} from "@sdgate/shared";

/** A1111's sampler list (`/sdapi/v1/samplers`): each sampler once, with the aliases sdgate accepts. */
export function sdapiSamplers(): Array<{ name: string; aliases: string[]; options: Record<string, string> }> {
  const names = [...new Set(SCHEDULER_NAMES.map((name) => A1111_SAMPLERS[name].sampler))];
  return names.map((sampler) => ({
    name: sampler,
    aliases: SCHEDULER_NAMES.filter((name) => A1111_SAMPLERS[name].sampler === sampler),
    // A1111 lists the schedules a sampler was made for here; SDE runs on Karras's only in sdgate.
    options: sampler === "DPM++ 2M SDE" ? { scheduler: "karras" } : {},
  }));
}

/** A1111's schedule list (`/sdapi/v1/schedulers`, `modules/sd_schedulers.py`'s fields). */
export function sdapiSchedulers() {
  return ["Automatic", "Karras"].map((label) => ({
    name: label.toLowerCase(),
    label,
    aliases: null,
    default_rho: label === "Karras" ? 7 : -1,
    need_inner_model: false,
  }));
}

/**
 * The scheduler for A1111's `sampler_name` (or the older `sampler_index`) and `scheduler`: `null`
 * when neither is given (the model's default). "DPM++ 2M Karras" alone (A1111 < 1.9) works too.
 */
export function samplerOf(
  sampler: string | null | undefined,
  schedule: string | null | undefined,
): Result<SchedulerName | null, RequestProblem> {
  if (sampler == null || sampler === "") return { ok: true, value: null };
  const own = schedule == null || schedule === "" || schedule.toLowerCase() === "automatic";
  const resolved = resolveSchedulerName(own ? sampler : `${sampler} ${schedule}`);
  if (resolved !== null) return { ok: true, value: resolved };
  const param = own || resolveSchedulerName(sampler) === null ? "sampler_name" : "scheduler";
  const known = SCHEDULER_NAMES.map((name) => {
    const { sampler: s, schedule: k } = A1111_SAMPLERS[name];
    return k === "Automatic" ? s : `${s} + ${k}`;
  }).join(", ");
  return {
    ok: false,
    error: {
      param,
      message: `Invalid '${param}': sdgate has no '${own ? sampler : `${sampler}' with '${schedule}`}'; it runs ${known}.`,
    },
  };
}
