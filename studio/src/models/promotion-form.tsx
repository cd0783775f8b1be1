import type { Sdgate } from "@sdgate/sdk";
import { type EvaluationSummary, type PromotionBody, WELL_KNOWN_ALIASES } from "@sdgate/shared";
import { useState } from "preact/hooks";
import { errorText } from "./format.ts";
import type { ModelState } from "./model-detail.tsx";

/** Asking for an alias to point at a version, with a comment and, if one fits, an evaluation as evidence. */
export function PromotionForm(props: {
  state: ModelState;
  session: Sdgate;
  evaluations: EvaluationSummary[];
  onRequested: (what: string) => void;
}) {
  const { model, versions, aliases } = props.state;
  const [alias, setAlias] = useState("staging");
  const [version, setVersion] = useState(versions.at(-1)?.version ?? "");
  const [comment, setComment] = useState("");
  const [evidence, setEvidence] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // The registry takes an evaluation as evidence only when its candidate is the requested version.
  const fitting = props.evaluations.filter((run) => run.candidate.version === version);
  const aliasNames = [...new Set([...WELL_KNOWN_ALIASES, ...aliases.map((a) => a.name)])];

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const body: PromotionBody = {
      alias: alias.trim(),
      to_version: version,
      comment,
      evidence: evidence === "" ? [] : [{ kind: "evaluation", ref: evidence }],
    };
    try {
      const request = await props.session.registry.requestPromotion(model.id, body);
      setComment("");
      setEvidence("");
      props.onRequested(
        `Asked for ${request.alias} → ${request.to_version} (${request.id}); it waits on an approver.`,
      );
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="form-block" onSubmit={submit} aria-label="Ask for a promotion">
      <h3>Ask for a promotion</h3>
      <div class="row">
        <label>
          Alias
          <input
            list="alias-names"
            required
            value={alias}
            onInput={(event) => setAlias(event.currentTarget.value)}
          />
          <datalist id="alias-names">
            {aliasNames.map((name) => (
              <option key={name} value={name} />
            ))}
          </datalist>
        </label>
        <label>
          Version
          <select value={version} onChange={(event) => setVersion(event.currentTarget.value)}>
            {versions.map((v) => (
              <option key={v.version} value={v.version}>
                {v.version}
              </option>
            ))}
          </select>
        </label>
        <label>
          Evidence
          <select value={evidence} onChange={(event) => setEvidence(event.currentTarget.value)}>
            <option value="">None</option>
            {fitting.map((run) => (
              <option key={run.id} value={run.id}>
                Evaluation {run.id} ({run.status})
              </option>
            ))}
          </select>
        </label>
      </div>
      <label>
        Comment
        <textarea rows={2} value={comment} onInput={(event) => setComment(event.currentTarget.value)} />
      </label>
      <div class="row">
        <button type="submit" class="primary" disabled={busy || version === ""}>
          Ask for the promotion
        </button>
      </div>
      {error === null ? null : <p role="alert">{error}</p>}
    </form>
  );
}
