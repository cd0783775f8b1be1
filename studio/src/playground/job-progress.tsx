import type { JobView } from "@sdgate/shared";

/** Where a run is: queued (its place), running (a progress bar, the latest preview), and a cancel button. */
export interface RunState {
  jobId: string;
  status: "queued" | "running" | "succeeded" | "failed" | "cancelled";
  position: number | null;
  fraction: number;
  step: number | null;
  steps: number | null;
  error: string | null;
  /** The latest preview the job sent, as a data URL. */
  preview: string | null;
  /** What the job reserved, charged and gave back (from the edge, once it ends). */
  credits: JobView["credits"] | null;
}

function ended(run: RunState): string {
  const refunded = run.credits?.refunded;
  const refund = refunded === null || refunded === undefined ? "" : ` · ${refunded} credits refunded`;
  if (run.status === "succeeded") return "Done";
  if (run.status === "cancelled") return `Cancelled${refund}`;
  return `Failed: ${run.error ?? "unknown error"}${refund}`;
}

export function JobProgress(props: { run: RunState; onCancel: () => void }) {
  const { run } = props;
  const active = run.status === "queued" || run.status === "running";
  const label =
    run.status === "queued"
      ? `Queued${run.position === null ? "" : `, position ${run.position}`}`
      : run.status === "running"
        ? `Running${run.step === null ? "" : `: step ${run.step} of ${run.steps}`}`
        : ended(run);
  return (
    <div class="job" aria-live="polite">
      <p>
        Job <code>{run.jobId}</code>: {label}
      </p>
      <progress aria-label="Progress" max={1} value={run.fraction} />
      {active && run.preview !== null ? (
        <img class="preview" src={run.preview} alt={`Preview at step ${run.step ?? 0}`} />
      ) : null}
      {active ? (
        <button type="button" class="secondary" onClick={props.onCancel}>
          Cancel
        </button>
      ) : null}
    </div>
  );
}
