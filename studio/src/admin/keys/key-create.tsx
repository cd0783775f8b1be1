import type { ApiKeyScope, CreateKeyBody, KeyWithSecret } from "@sdgate/shared";
import { useState } from "preact/hooks";
import { ActionError } from "../action-error.tsx";
import { ActionForm, TextField } from "../action-form.tsx";
import { invalidProps, type Problem } from "../api-error.ts";
import { labelsOf, listOf } from "../format.ts";
import { SecretOnce } from "../secret-once.tsx";
import type { SectionProps } from "../section-props.ts";
import type { TeamChoice } from "../teams/team-choices.ts";
import { TeamSelect } from "../teams/team-select.tsx";
import { useAction } from "../use-loaded.ts";

/** The form's fields as typed; the API checks them and names the one it refuses. */
interface Draft {
  name: string;
  teamId: string;
  generate: boolean;
  requestsPerMinute: string;
  monthlyCredits: string;
  expiresAt: string;
  models: string;
  labels: string;
}

const EMPTY: Draft = {
  name: "",
  teamId: "",
  generate: true,
  requestsPerMinute: "",
  monthlyCredits: "",
  expiresAt: "",
  models: "",
  labels: "",
};

/** The body a draft asks for; a labels line that is not `name=value` is a problem named like the API's. */
function bodyOf(draft: Draft): CreateKeyBody | Problem {
  const labels = labelsOf(draft.labels);
  if (!labels.ok) return { message: `'${labels.line}' is not name=value`, field: "metadata", status: null };
  const scopes: ApiKeyScope[] = draft.generate ? ["generate", "read"] : ["read"];
  const models = listOf(draft.models);
  return {
    name: draft.name,
    scopes,
    limits: {
      ...(draft.requestsPerMinute.trim() === ""
        ? {}
        : { requests_per_minute: Number(draft.requestsPerMinute) }),
      ...(draft.monthlyCredits.trim() === "" ? {} : { monthly_credits: Number(draft.monthlyCredits) }),
    },
    ...(draft.teamId === "" ? {} : { team_id: draft.teamId }),
    ...(models === null ? {} : { models }),
    ...(draft.expiresAt === "" ? {} : { expires_at: new Date(draft.expiresAt).toISOString() }),
    ...(Object.keys(labels.labels).length === 0 ? {} : { metadata: labels.labels }),
  };
}

/** Makes a key; its secret is shown once, with Copy, and then gone. */
export function KeyCreate(
  props: SectionProps & { teams: TeamChoice[]; everywhere: boolean; onChange: () => void },
) {
  const [draft, setDraft] = useState<Draft>({
    ...EMPTY,
    teamId: props.everywhere ? "" : (props.teams[0]?.id ?? ""),
  });
  const [local, setLocal] = useState<Problem | null>(null);
  const [created, setCreated] = useState<KeyWithSecret | null>(null);
  const create = useAction(
    // Only run once `submit` found the draft's body sound.
    () => props.studio.session.keys.create(bodyOf(draft) as CreateKeyBody),
    (key) => {
      setCreated(key);
      setDraft({ ...EMPTY, teamId: draft.teamId });
      props.onChange();
    },
  );
  const problem = local ?? create.problem;
  const set = (field: keyof Draft) => (value: string | boolean) => {
    setLocal(null);
    setDraft({ ...draft, [field]: value });
  };
  const submit = () => {
    const body = bodyOf(draft);
    if ("message" in body) setLocal(body);
    else void create.run();
  };
  const text = { problem, errorId: "key-create-error" };
  return (
    <section class="card" aria-labelledby="key-create-title">
      <h4 id="key-create-title">Create a key</h4>
      {created === null ? null : (
        <SecretOnce
          label={`Secret of ${created.name}`}
          secret={created.key}
          onDone={() => setCreated(null)}
        />
      )}
      <ActionForm label="Create a key" class="key-form" onSubmit={submit}>
        <TextField label="Name" name="name" required value={draft.name} onInput={set("name")} {...text} />
        <TeamSelect
          label="Team"
          name="team_id"
          teams={props.teams}
          {...(props.everywhere ? { none: "No team (deployment-wide)" } : {})}
          value={draft.teamId}
          onChange={set("teamId")}
        />
        <label class="inline">
          <input
            type="checkbox"
            checked={draft.generate}
            onChange={(event) => set("generate")(event.currentTarget.checked)}
          />{" "}
          May generate (else read only)
        </label>
        <TextField
          label="Requests per minute"
          name="requests_per_minute"
          numeric
          placeholder="600"
          value={draft.requestsPerMinute}
          onInput={set("requestsPerMinute")}
          {...text}
        />
        <TextField
          label="Monthly credits"
          name="monthly_credits"
          numeric
          placeholder="no limit"
          value={draft.monthlyCredits}
          onInput={set("monthlyCredits")}
          {...text}
        />
        <TextField
          label="Expires"
          name="expires_at"
          type="datetime-local"
          value={draft.expiresAt}
          onInput={set("expiresAt")}
          {...text}
        />
        <TextField
          label="Models (comma-separated; empty: every model)"
          name="models"
          value={draft.models}
          onInput={set("models")}
          {...text}
        />
        <label>
          Labels (one name=value a line)
          <textarea
            name="metadata"
            rows={2}
            value={draft.labels}
            onInput={(event) => set("labels")(event.currentTarget.value)}
            {...invalidProps(problem, "metadata", "key-create-error")}
          />
        </label>
        <div class="row">
          <button type="submit" class="primary" disabled={create.busy}>
            Create key
          </button>
          <ActionError id="key-create-error" problem={problem} />
        </div>
      </ActionForm>
    </section>
  );
}
