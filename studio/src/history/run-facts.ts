import type { Run } from "@sdgate/shared";

/** How a run ended, in words: a failed or cancelled run says its error's code. */
export function outcomeText(run: Pick<Run, "status" | "error_code">): string {
  if (run.status === "succeeded") return "succeeded";
  return run.error_code === null ? run.status : `${run.status}: ${run.error_code}`;
}

/** The model and the registry version that ran, when there was one. */
export function modelText(run: Pick<Run, "model" | "model_version">): string {
  return run.model_version === null ? run.model : `${run.model} ${run.model_version}`;
}

export function costText(cost: number | null): string {
  if (cost === null) return "not charged";
  return cost === 1 ? "1 credit" : `${cost} credits`;
}

export function latencyText(latencyMs: number | null): string {
  if (latencyMs === null) return "no latency";
  return latencyMs < 1000 ? `${latencyMs} ms` : `${(latencyMs / 1000).toFixed(1)} s`;
}

/** The engine and, in its order, each stage's time, when the run ran on one (not a replay or a failure). */
export function engineText(run: Pick<Run, "engine_version" | "timings_ms">): string {
  if (run.engine_version === null) return "no engine ran it";
  const stages = Object.entries(run.timings_ms ?? {})
    .filter(([stage]) => stage !== "total")
    .map(([stage, ms]) => `${stage.replace("_", " ")} ${Math.round(ms)} ms`);
  const total = run.timings_ms?.total;
  return `${run.engine_version}${total === undefined ? "" : `, ${Math.round(total)} ms`}${stages.length === 0 ? "" : ` (${stages.join(", ")})`}`;
}

const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ["day", 86_400_000],
  ["hour", 3_600_000],
  ["minute", 60_000],
];

/**
 * When a run was made, as people say it (`5 minutes ago`), or its date past a week.
 *
 * @example
 * whenText("2026-12-06T10:00:00Z", new Date("2026-12-06T10:05:00Z")); // "5 minutes ago"
 */
export function whenText(iso: string, now = new Date(), locale = "en"): string {
  const agoMs = now.getTime() - Date.parse(iso);
  if (!Number.isFinite(agoMs)) return iso;
  if (agoMs > 7 * 86_400_000) return new Date(iso).toLocaleDateString(locale);
  const relative = new Intl.RelativeTimeFormat(locale, { numeric: "auto" });
  for (const [unit, unitMs] of UNITS)
    if (agoMs >= unitMs) return relative.format(-Math.floor(agoMs / unitMs), unit);
  return "just now";
}

/** Tags as a person types them, comma-separated: trimmed, blanks dropped, each once. */
export function tagsOf(text: string): string[] {
  return [
    ...new Set(
      text
        .split(",")
        .map((tag) => tag.trim())
        .filter((tag) => tag !== ""),
    ),
  ];
}
