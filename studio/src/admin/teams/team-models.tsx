import { useState } from "preact/hooks";
import { ActionError, LoadState } from "../action-error.tsx";
import { ActionForm, TextField } from "../action-form.tsx";
import { listOf } from "../format.ts";
import type { SectionProps } from "../section-props.ts";
import { useAction, useLoaded } from "../use-loaded.ts";

/** Edits the grants: a list of models (`sd15`, `sd15@production`, `sd15@v3`), or every model. */
function GrantForm(props: SectionProps & { teamId: string; models: string[] | null; onChange: () => void }) {
  const [every, setEvery] = useState(props.models === null);
  const [text, setText] = useState((props.models ?? []).join(", "));
  const save = useAction(
    () => props.studio.session.teams.setModels(props.teamId, { models: every ? null : (listOf(text) ?? []) }),
    props.onChange,
  );
  return (
    <ActionForm label="Grant models" onSubmit={save.run}>
      <label class="inline">
        <input type="checkbox" checked={every} onChange={(event) => setEvery(event.currentTarget.checked)} />{" "}
        Every model
      </label>
      <TextField
        label="Granted models (comma-separated: sd15, sd15@production, sd15@v3)"
        name="models"
        value={text}
        disabled={every}
        onInput={setText}
        problem={save.problem}
        errorId="models-error"
      />
      <button type="submit" disabled={save.busy}>
        Save grants
      </button>
      <ActionError id="models-error" problem={save.problem} />
    </ActionForm>
  );
}

/** The models the team's keys may use (`GET /admin/teams/{id}/models`); an admin changes them. */
export function TeamModels(props: SectionProps & { teamId: string; mayManage: boolean }) {
  const [grants, reload] = useLoaded(() => props.studio.session.teams.models(props.teamId), [props.teamId]);
  return (
    <section aria-labelledby="models-title">
      <h5 id="models-title">Granted models</h5>
      {grants.state !== "ok" ? (
        <LoadState loaded={grants} />
      ) : (
        <>
          <p>
            {grants.data.models === null
              ? "Every model."
              : grants.data.models.length === 0
                ? "No model."
                : grants.data.models.join(", ")}
          </p>
          {props.mayManage ? (
            <GrantForm
              key={JSON.stringify(grants.data.models)}
              {...props}
              models={grants.data.models}
              onChange={reload}
            />
          ) : null}
        </>
      )}
    </section>
  );
}
