import type { AnswerOf } from "@sdgate/shared";
import { hrefOf } from "../shell/route.ts";
import type { StudioContext } from "../shell/studio-context.ts";
import { mayOnRegistry } from "./access.ts";
import { EvaluationForm } from "./evaluation-form.tsx";
import { actorName, percent, when } from "./format.ts";
import type { ModelState } from "./model-detail.tsx";
import type { Loaded } from "./use-load.ts";

/** A model's evaluation runs, each opening its comparison; start one (`models.register`). */
export function EvaluationsSection(props: {
  state: ModelState;
  studio: StudioContext;
  evaluations: Loaded<AnswerOf<"listEvaluations">>;
  onStarted: () => void;
}) {
  const { state, studio, evaluations } = props;
  const modelId = state.model.id;
  return (
    <section class="card" aria-labelledby="evaluations-title">
      <h2 id="evaluations-title">Evaluations</h2>
      {mayOnRegistry(studio.principal, "models.register") && state.versions.length > 0 ? (
        <EvaluationForm state={state} session={studio.session} onStarted={props.onStarted} />
      ) : null}
      {evaluations.state === "loading" ? <p>Loading…</p> : null}
      {evaluations.state === "error" ? <p role="alert">{evaluations.message}</p> : null}
      {evaluations.state === "ready" && evaluations.value.data.length === 0 ? (
        <p>No evaluation has run yet.</p>
      ) : null}
      {evaluations.state === "ready" && evaluations.value.data.length > 0 ? (
        <ul class="evaluation-list">
          {evaluations.value.data.map((run) => (
            <li key={run.id}>
              <a href={hrefOf("models", [modelId], { evaluation: run.id })}>
                {run.candidate.version} against {run.baseline_ref} ({run.baseline.version})
              </a>{" "}
              <span class="badge">{run.status}</span>
              <span class="muted">
                {" "}
                {run.id}, {when(run.created_at)} by {actorName(run.created_by)}; failures{" "}
                {percent(run.candidate.failure_rate)} vs {percent(run.baseline.failure_rate)}
              </span>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
