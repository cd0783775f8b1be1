import type { KeyView, KeyWithSecret } from "@sdgate/shared";
import { useState } from "preact/hooks";
import { ActionError } from "../action-error.tsx";
import { invalidProps, type Problem } from "../api-error.ts";
import { ConfirmButton } from "../confirm-button.tsx";
import { labelsOf, labelsText } from "../format.ts";
import { SecretOnce } from "../secret-once.tsx";
import type { SectionProps } from "../section-props.ts";
import { useAction } from "../use-loaded.ts";

/** Changes a key's labels and request rate in place (`PATCH /admin/keys/{id}`). */
function KeyEdit(props: SectionProps & { apiKey: KeyView; onDone: () => void }) {
  const { apiKey } = props;
  const [labels, setLabels] = useState(labelsText(apiKey.metadata));
  const [rate, setRate] = useState(String(apiKey.limits.requests_per_minute));
  const [local, setLocal] = useState<Problem | null>(null);
  const save = useAction(() => {
    // Only run once `onSubmit` found every labels line sound.
    const parsed = labelsOf(labels);
    const metadata = parsed.ok && Object.keys(parsed.labels).length > 0 ? parsed.labels : null;
    return props.studio.session.keys.update(apiKey.id, {
      metadata,
      limits: { requests_per_minute: Number(rate) },
    });
  }, props.onDone);
  const problem = local ?? save.problem;
  return (
    <form
      class="key-edit"
      aria-label={`Edit ${apiKey.name}`}
      onSubmit={(event) => {
        event.preventDefault();
        const parsed = labelsOf(labels);
        if (!parsed.ok)
          setLocal({ message: `'${parsed.line}' is not name=value`, field: "metadata", status: null });
        else void save.run();
      }}
    >
      <label>
        Labels (name=value a line)
        <textarea
          rows={2}
          value={labels}
          onInput={(event) => {
            setLocal(null);
            setLabels(event.currentTarget.value);
          }}
          {...invalidProps(problem, "metadata", `edit-error-${apiKey.id}`)}
        />
      </label>
      <label>
        Requests per minute
        <input
          inputMode="numeric"
          value={rate}
          onInput={(event) => setRate(event.currentTarget.value)}
          {...invalidProps(problem, "limits", `edit-error-${apiKey.id}`)}
        />
      </label>
      <button type="submit" disabled={save.busy}>
        Save
      </button>
      <ActionError id={`edit-error-${apiKey.id}`} problem={problem} />
    </form>
  );
}

/** A key's actions: edit, rotate (the new secret shown once) and revoke (asks first). */
export function KeyActions(
  props: SectionProps & { apiKey: KeyView; mayManage: boolean; onChange: () => void },
) {
  const { apiKey } = props;
  const { session } = props.studio;
  const [editing, setEditing] = useState(false);
  const [rotated, setRotated] = useState<KeyWithSecret | null>(null);
  const rotate = useAction(
    () => session.keys.rotate(apiKey.id),
    (key) => {
      setRotated(key);
      props.onChange();
    },
  );
  const revoke = useAction(() => session.keys.revoke(apiKey.id), props.onChange);
  if (!props.mayManage || apiKey.status === "revoked") return null;
  return (
    <div class="actions">
      <button
        type="button"
        aria-expanded={editing}
        aria-label={`Edit ${apiKey.name}`}
        onClick={() => setEditing(!editing)}
      >
        Edit
      </button>
      <button type="button" aria-label={`Rotate ${apiKey.name}`} disabled={rotate.busy} onClick={rotate.run}>
        Rotate
      </button>
      <ConfirmButton
        label="Revoke"
        name={`Revoke ${apiKey.name}`}
        question={`Revoke ${apiKey.name}? It stops working everywhere at once.`}
        busy={revoke.busy}
        onConfirm={revoke.run}
      />
      <ActionError problem={rotate.problem ?? revoke.problem} />
      {rotated === null ? null : (
        <SecretOnce
          label={`New secret of ${rotated.name}`}
          secret={rotated.key}
          note={`Copy the new secret now: it is shown this once. The old one works until ${rotated.previous_key_expires_at ?? "now"}.`}
          onDone={() => setRotated(null)}
        />
      )}
      {editing ? (
        <KeyEdit
          {...props}
          onDone={() => {
            setEditing(false);
            props.onChange();
          }}
        />
      ) : null}
    </div>
  );
}
