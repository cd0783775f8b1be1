/** Where a run is: queued (its place), running (a progress bar), and a cancel button. */
export interface RunState {
  jobId: string;
  status: "queued" | "running" | "succeeded" | "failed" | "cancelled";
  position: number | null;
  fraction: number;
  step: number | null;
  steps: number | null;
  error: string | null;
}

export function JobProgress(props: { run: RunState; onCancel: () => void }) {
  const { run } = props;
  const active = run.status === "queued" || run.status === "running";
  const label =
    run.status === "queued"
      ? `Queued${run.position === null ? "" : `, position ${run.position}`}`
      : run.status === "running"
        ? `Running${run.step === null ? "" : `: step ${run.step} of ${run.steps}`}`
        : run.status === "succeeded"
          ? "Done"
          : run.status === "cancelled"
            ? "Cancelled"
            : `Failed: ${run.error ?? "unknown error"}`;
  return (
    <div class="job" aria-live="polite">
      <p>
        Job <code>{run.jobId}</code>: {label}
      </p>
      <progress aria-label="Progress" max={1} value={run.fraction} />
      {active ? (
        <button type="button" class="secondary" onClick={props.onCancel}>
          Cancel
        </button>
      ) : null}
    </div>
  );
}
