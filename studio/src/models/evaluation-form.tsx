import type { Sdgate } from "@sdgate/sdk";
import { MAX_EVALUATION_SEEDS, MAX_EVALUATION_STEPS } from "@sdgate/shared";
import { useState } from "preact/hooks";
import { navigate } from "../shell/route.ts";
import { type EvaluationDraft, emptyEvaluationDraft, evaluationBodyOf } from "./evaluation-view.ts";
import { errorText } from "./format.ts";
import type { ModelState } from "./model-detail.tsx";

/** Starting an evaluation: a candidate version against a baseline, on the built-in prompts or the person's. */
export function EvaluationForm(props: { state: ModelState; session: Sdgate; onStarted: () => void }) {
  const { model, versions, aliases } = props.state;
  const [draft, setDraft] = useState<EvaluationDraft>(() =>
    emptyEvaluationDraft(versions.at(-1)?.version ?? ""),
  );
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (name: keyof EvaluationDraft) => (event: Event) =>
    setDraft({ ...draft, [name]: (event.currentTarget as HTMLInputElement).value });

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const run = await props.session.evaluations.start(model.id, evaluationBodyOf(draft));
      props.onStarted();
      navigate("models", [model.id], { evaluation: run.id });
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    // The API checks every field and names the one that is wrong, beside the form.
    <form class="form-block" noValidate onSubmit={submit} aria-label="Start an evaluation">
      <h3>Start an evaluation</h3>
      <div class="row">
        <label>
          Candidate
          <select value={draft.candidate} onChange={set("candidate")}>
            {versions.map((v) => (
              <option key={v.version} value={v.version}>
                {v.version}
              </option>
            ))}
          </select>
        </label>
        <label>
          Baseline
          <select value={draft.baseline} onChange={set("baseline")}>
            {aliases.map((alias) => (
              <option key={alias.name} value={alias.name}>
                {alias.name} ({alias.version})
              </option>
            ))}
            {versions.map((v) => (
              <option key={v.version} value={v.version}>
                {v.version}
              </option>
            ))}
          </select>
        </label>
        <label>
          Seeds per prompt
          <input
            type="number"
            min={1}
            max={MAX_EVALUATION_SEEDS}
            value={draft.seeds}
            onInput={set("seeds")}
          />
        </label>
        <label>
          Steps
          <input
            type="number"
            min={1}
            max={MAX_EVALUATION_STEPS}
            value={draft.steps}
            onInput={set("steps")}
          />
        </label>
        <label>
          Size
          <input placeholder="model default" value={draft.size} onInput={set("size")} />
        </label>
      </div>
      <label>
        Prompts, one a line (empty: the built-in set)
        <textarea rows={3} value={draft.prompts} onInput={set("prompts")} />
      </label>
      <div class="row">
        <button type="submit" class="primary" disabled={busy || draft.candidate === ""}>
          Start the evaluation
        </button>
      </div>
      {error === null ? null : <p role="alert">{error}</p>}
    </form>
  );
}
