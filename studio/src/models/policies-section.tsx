import { type AliasPolicyView, SAFETY_SETTINGS } from "@sdgate/shared";
import { useState } from "preact/hooks";
import type { StudioContext } from "../shell/studio-context.ts";
import { mayOnRegistry } from "./access.ts";
import { actorName, errorText, when } from "./format.ts";
import type { ModelState } from "./model-detail.tsx";
import { type PolicyDraft, policyBodyOf, policyDraftOf, ruleSummary } from "./policy-draft.ts";
import { useLoad } from "./use-load.ts";

/** The model's policies by alias (`*`: its default): rules and safety check; edited with `policies.manage`. */
export function PoliciesSection(props: { state: ModelState; studio: StudioContext }) {
  const { model, aliases } = props.state;
  const { session, principal } = props.studio;
  const [policies, reload] = useLoad(() => session.registry.policies(model.id), [session, model.id]);
  const [editing, setEditing] = useState<string | null>(null);
  const mayEdit = mayOnRegistry(principal, "policies.manage");
  const held = policies.state === "ready" ? policies.value.data : [];
  const withoutPolicy = ["*", ...aliases.map((alias) => alias.name)].filter(
    (name) => !held.some((view) => view.alias === name),
  );

  return (
    <section class="card" aria-labelledby="policies-title">
      <h2 id="policies-title">Policies</h2>
      {policies.state === "loading" ? <p>Loading…</p> : null}
      {policies.state === "error" ? <p role="alert">{policies.message}</p> : null}
      {policies.state === "ready" && held.length === 0 ? (
        <p>No policy: every alias takes prompts as they come and runs no safety check.</p>
      ) : null}
      <ul class="policy-list">
        {held.map((view) => (
          <li
            key={view.alias}
            aria-label={`Policy of ${view.alias === "*" ? "the model (default)" : view.alias}`}
          >
            <PolicySummary view={view} />
            {mayEdit && editing !== view.alias ? (
              <button type="button" onClick={() => setEditing(view.alias)}>
                Edit the policy of {view.alias}
              </button>
            ) : null}
            {editing === view.alias ? (
              <PolicyEditor
                view={view}
                alias={view.alias}
                studio={props.studio}
                modelId={model.id}
                onDone={() => {
                  setEditing(null);
                  reload();
                }}
              />
            ) : null}
          </li>
        ))}
      </ul>
      {mayEdit && withoutPolicy.length > 0 && editing === null ? (
        <NewPolicy names={withoutPolicy} onChoose={setEditing} />
      ) : null}
      {editing !== null && !held.some((view) => view.alias === editing) ? (
        <PolicyEditor
          view={null}
          alias={editing}
          studio={props.studio}
          modelId={model.id}
          onDone={() => {
            setEditing(null);
            reload();
          }}
        />
      ) : null}
    </section>
  );
}

function PolicySummary(props: { view: AliasPolicyView }) {
  const { view } = props;
  return (
    <>
      <p>
        <strong>{view.alias === "*" ? "* (the model's default)" : view.alias}</strong>: safety check{" "}
        {view.safety_check}; {view.policy?.rules.length ?? 0} rules
        {view.policy?.record_prompt ? "; refusals keep the prompt" : ""}.{" "}
        <span class="muted">
          Set {when(view.updated_at)} by {actorName(view.updated_by)}
        </span>
      </p>
      {view.policy === null || view.policy.rules.length === 0 ? null : (
        <ul aria-label={`Rules of ${view.alias}`}>
          {view.policy.rules.map((rule) => (
            <li key={rule.id}>{ruleSummary(rule)}</li>
          ))}
        </ul>
      )}
    </>
  );
}

function NewPolicy(props: { names: string[]; onChoose: (alias: string) => void }) {
  const [name, setName] = useState(props.names[0] ?? "*");
  return (
    <div class="row">
      <label>
        New policy for
        <select value={name} onChange={(event) => setName(event.currentTarget.value)}>
          {props.names.map((option) => (
            <option key={option} value={option}>
              {option === "*" ? "* (the model's default)" : option}
            </option>
          ))}
        </select>
      </label>
      <button type="button" onClick={() => props.onChoose(name)}>
        Write a policy
      </button>
    </div>
  );
}

function PolicyEditor(props: {
  view: AliasPolicyView | null;
  alias: string;
  modelId: string;
  studio: StudioContext;
  onDone: () => void;
}) {
  const { session } = props.studio;
  const [draft, setDraft] = useState<PolicyDraft>(() => policyDraftOf(props.view));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const act = async (call: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await call();
      props.onDone();
    } catch (failure) {
      setError(errorText(failure));
      setBusy(false);
    }
  };
  const save = (event: Event) => {
    event.preventDefault();
    const body = policyBodyOf(draft);
    if (!body.ok) return setError(body.message);
    void act(() => session.registry.setPolicy(props.modelId, props.alias, body.body));
  };

  return (
    <form class="form-block" onSubmit={save} aria-label={`Policy of ${props.alias}`}>
      <div class="row">
        <label>
          Safety check
          <select
            value={draft.safetyCheck}
            onChange={(event) =>
              setDraft({ ...draft, safetyCheck: event.currentTarget.value as PolicyDraft["safetyCheck"] })
            }
          >
            {SAFETY_SETTINGS.map((setting) => (
              <option key={setting} value={setting}>
                {setting}
              </option>
            ))}
          </select>
        </label>
        <label class="inline">
          <input
            type="checkbox"
            checked={draft.recordPrompt}
            onChange={(event) => setDraft({ ...draft, recordPrompt: event.currentTarget.checked })}
          />
          Refusals keep the prompt
        </label>
      </div>
      <label>
        Rules (JSON, as in the API)
        <textarea
          rows={6}
          class="code"
          value={draft.rules}
          onInput={(event) => setDraft({ ...draft, rules: event.currentTarget.value })}
        />
      </label>
      <div class="row">
        <button type="submit" class="primary" disabled={busy}>
          Save the policy
        </button>
        {props.view === null ? null : (
          <button
            type="button"
            disabled={busy}
            onClick={() => act(() => session.registry.removePolicy(props.modelId, props.alias))}
          >
            Remove the policy
          </button>
        )}
        <button type="button" onClick={props.onDone}>
          Cancel
        </button>
      </div>
      {error === null ? null : <p role="alert">{error}</p>}
    </form>
  );
}
