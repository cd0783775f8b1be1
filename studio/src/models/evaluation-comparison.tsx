import type { Sdgate } from "@sdgate/sdk";
import { EVALUATION_SIDES, type EvaluationItem, type EvaluationRun } from "@sdgate/shared";
import { useEffect, useState } from "preact/hooks";
import { hrefOf } from "../shell/route.ts";
import { EvaluationImage } from "./evaluation-image.tsx";
import { isRunning, metricRows } from "./evaluation-view.ts";
import { actorName, duration, errorText, when } from "./format.ts";

/** How often a running evaluation is read again. */
const POLL_MS = 2_000;

/**
 * One evaluation: the candidate beside the baseline, first the numbers it records, then each prompt
 * and seed with both sides' images. Read again while it runs.
 */
export function EvaluationComparison(props: {
  id: string;
  modelId: string;
  session: Sdgate;
  /** Called once the run has ended, so the list beside it shows its final state. */
  onFinished: () => void;
}) {
  const { id, session, onFinished } = props;
  const [run, setRun] = useState<EvaluationRun | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let current = true;
    // Whether an earlier reading saw it running (a run that had ended already changes no list).
    let polled = false;
    const read = () =>
      session.evaluations.get(id).then(
        (value) => {
          if (!current) return;
          setRun(value);
          if (isRunning(value)) timer = setTimeout(read, POLL_MS);
          else if (polled) onFinished();
          polled = true;
        },
        (failure: unknown) => current && setError(errorText(failure)),
      );
    read();
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [session, id, onFinished]);

  return (
    <section class="card comparison" aria-labelledby="comparison-title">
      <h2 id="comparison-title">Evaluation {id}</h2>
      <p>
        <a href={hrefOf("models", [props.modelId])}>Close the comparison</a>
      </p>
      {error === null ? null : <p role="alert">{error}</p>}
      {run === null && error === null ? <p>Loading…</p> : null}
      {run === null ? null : (
        <>
          <p role="status">
            {run.status === "succeeded" || run.status === "failed"
              ? `Finished (${run.status})`
              : `${run.status}…`}
            : {run.candidate.count + run.baseline.count} of {run.items.length * 2} generations, {run.steps}{" "}
            steps, {run.size ?? "default size"}, safety check {run.safety_check ? "on" : "off"}; started{" "}
            {when(run.created_at)} by {actorName(run.created_by)}
            {run.error === null ? "" : `. The run failed: ${run.error}`}
          </p>
          <div class="table">
            <table>
              <thead>
                <tr>
                  <th scope="col">Measure</th>
                  <th scope="col">Candidate</th>
                  <th scope="col">Baseline ({run.baseline_ref})</th>
                </tr>
              </thead>
              <tbody>
                {metricRows(run).map((row) => (
                  <tr key={row.label}>
                    <th scope="row">{row.label}</th>
                    <td>{row.candidate}</td>
                    <td>{row.baseline}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <ol class="pairs" aria-label="Prompts, candidate beside baseline">
            {run.items.map((item) => (
              <ItemPair key={item.index} run={run} item={item} session={session} />
            ))}
          </ol>
        </>
      )}
    </section>
  );
}

function ItemPair(props: { run: EvaluationRun; item: EvaluationItem; session: Sdgate }) {
  const { run, item } = props;
  return (
    <li>
      <p>
        <strong>{item.prompt}</strong> <span class="muted">seed {item.seed}</span>
      </p>
      <div class="pair">
        {EVALUATION_SIDES.map((side) => {
          const output = item[side];
          const version = run[side].version;
          return (
            <figure key={side}>
              {output.status === "succeeded" && output.image_url !== null ? (
                <EvaluationImage
                  session={props.session}
                  id={run.id}
                  index={item.index}
                  side={side}
                  alt={`${side === "candidate" ? "Candidate" : "Baseline"} ${version}: ${item.prompt}, seed ${item.seed}`}
                />
              ) : (
                <div class="no-image">{output.status === "pending" ? "Pending" : "No image"}</div>
              )}
              <figcaption>
                {side} {version} · {output.status}
                {output.latency_ms === null ? "" : ` · ${duration(output.latency_ms)}`}
                {output.safety === null ? "" : ` · safety ${output.safety}`}
                {output.error === null ? "" : ` · ${output.error.code}: ${output.error.message}`}
              </figcaption>
            </figure>
          );
        })}
      </div>
    </li>
  );
}
