import {
  DEFAULT_EVALUATION_STEPS,
  type EvaluationBody,
  type EvaluationRun,
  type EvaluationSideStats,
  type EvaluationSummary,
} from "@sdgate/shared";
import { duration, percent, shortDigest } from "./format.ts";

/** A row of the comparison's numbers: what is measured, then the candidate's and the baseline's value. */
export interface MetricRow {
  label: string;
  candidate: string;
  baseline: string;
}

const SIDE_METRICS: ReadonlyArray<[string, (side: EvaluationSideStats) => string]> = [
  ["Runs as", (side) => side.ref],
  ["Version", (side) => `${side.version} · ${shortDigest(side.digest)}`],
  ["Generations done", (side) => String(side.count)],
  ["Failures", (side) => `${side.failures} (${percent(side.failure_rate)})`],
  ["Latency p50", (side) => duration(side.latency_ms.p50)],
  ["Latency p95", (side) => duration(side.latency_ms.p95)],
  ["Latency mean", (side) => duration(side.latency_ms.mean)],
  [
    "Safety check",
    (side) =>
      `${side.safety.passed} passed, ${side.safety.flagged} flagged, ${side.safety.blurred} blurred, ${side.safety.blocked} blocked`,
  ],
  ["Flagged rate", (side) => percent(side.flagged_rate)],
];

/**
 * The numbers an evaluation records, side by side: each metric for the candidate and the baseline.
 *
 * @example
 * metricRows(run).find((row) => row.label === "Latency p95"); // { candidate: "2.4 s", baseline: "2.1 s" }
 */
export function metricRows(run: Pick<EvaluationSummary, "candidate" | "baseline">): MetricRow[] {
  return SIDE_METRICS.map(([label, of]) => ({
    label,
    candidate: of(run.candidate),
    baseline: of(run.baseline),
  }));
}

/** Whether the run may still change (the comparison keeps reading it until it ends). */
export const isRunning = (run: Pick<EvaluationRun, "status">) =>
  run.status === "queued" || run.status === "running";

/** What the start form holds, as the person typed it. */
export interface EvaluationDraft {
  candidate: string;
  baseline: string;
  /** One prompt a line; empty: the contract's built-in set. */
  prompts: string;
  seeds: string;
  steps: string;
  /** Empty: the model's default size. */
  size: string;
}

export const emptyEvaluationDraft = (candidate: string): EvaluationDraft => ({
  candidate,
  baseline: "production",
  prompts: "",
  seeds: "1",
  steps: String(DEFAULT_EVALUATION_STEPS),
  size: "",
});

/**
 * The `POST …/evaluations` body of a draft. Numbers are sent as typed (the API names a bad one);
 * blank lines of the prompts are dropped, and no prompt at all means the built-in set.
 *
 * @example
 * evaluationBodyOf({ ...emptyEvaluationDraft("v2"), prompts: "a fox\n\na cat" }).prompts; // ["a fox", "a cat"]
 */
export function evaluationBodyOf(draft: EvaluationDraft): EvaluationBody {
  const prompts = draft.prompts
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "");
  return {
    candidate: draft.candidate,
    baseline: draft.baseline,
    seeds: Number(draft.seeds),
    steps: Number(draft.steps),
    ...(prompts.length === 0 ? {} : { prompts }),
    ...(draft.size.trim() === "" ? {} : { size: draft.size.trim() }),
  };
}
