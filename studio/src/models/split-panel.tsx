import { type Alias, MAX_CANARY_WEIGHT, type SplitView } from "@sdgate/shared";
import { useState } from "preact/hooks";
import type { StudioContext } from "../shell/studio-context.ts";
import { mayOnRegistry } from "./access.ts";
import { duration, errorText, percent } from "./format.ts";
import { splitSummary } from "./registry-view.ts";
import { useLoad } from "./use-load.ts";

/** An alias's canary split: how it runs and each version's numbers; start, retune or stop it (`models.approve`). */
export function SplitPanel(props: {
  modelId: string;
  alias: Alias;
  aliases: Alias[];
  studio: StudioContext;
}) {
  const { modelId, alias, studio } = props;
  const { session, principal } = studio;
  const [view, reload] = useLoad(
    () => session.canary.get(modelId, alias.name),
    [session, modelId, alias.name],
  );
  const [editing, setEditing] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const mayChange = mayOnRegistry(principal, "models.approve");
  const others = props.aliases.filter((other) => other.name !== alias.name);

  if (view.state === "loading") return <p class="muted">Reading the canary split…</p>;
  if (view.state === "error") return <p role="alert">Canary split: {view.message}</p>;
  const split = view.value;

  const stop = async () => {
    setBusy(true);
    setError(null);
    try {
      await session.canary.stop(modelId, alias.name);
      reload();
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="split" aria-label={`Canary split of ${alias.name}`}>
      <p>{splitSummary(split)}</p>
      {split.stats.length === 0 ? null : <SplitStats view={split} />}
      {mayChange && others.length > 0 ? (
        <div class="row">
          <button type="button" aria-expanded={editing} onClick={() => setEditing(!editing)}>
            {split.split === null ? "Start a canary split" : "Retune the split"} of {alias.name}
          </button>
          {split.split === null ? null : (
            <button type="button" disabled={busy} onClick={stop}>
              Stop the split of {alias.name}
            </button>
          )}
        </div>
      ) : null}
      {error === null ? null : <p role="alert">{error}</p>}
      {editing ? (
        <SplitForm
          view={split}
          others={others}
          onSave={async (body) => {
            await session.canary.start(modelId, alias.name, body);
            setEditing(false);
            reload();
          }}
        />
      ) : null}
    </section>
  );
}

function SplitStats(props: { view: SplitView }) {
  return (
    <div class="table">
      <table>
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Requests</th>
            <th scope="col">Errors</th>
            <th scope="col">p50</th>
            <th scope="col">p95</th>
          </tr>
        </thead>
        <tbody>
          {props.view.stats.map((stats) => (
            <tr key={stats.version}>
              <th scope="row">{stats.version}</th>
              <td>{stats.requests}</td>
              <td>
                {stats.errors} ({percent(stats.error_rate)})
              </td>
              <td>{duration(stats.p50_ms)}</td>
              <td>{duration(stats.p95_ms)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

interface SplitFields {
  to_alias: string;
  weight: number;
  max_error_rate: number;
  max_p95_ms: number;
  min_requests: number;
}

function SplitForm(props: {
  view: SplitView;
  others: Alias[];
  onSave: (body: SplitFields) => Promise<void>;
}) {
  const current = props.view.split;
  const [fields, setFields] = useState<SplitFields>({
    to_alias:
      current?.to_alias ?? props.others.find((a) => a.name === "canary")?.name ?? props.others[0]?.name ?? "",
    weight: current?.weight ?? 10,
    max_error_rate: current?.max_error_rate ?? 0.05,
    max_p95_ms: current?.max_p95_ms ?? 60_000,
    min_requests: current?.min_requests ?? 20,
  });
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const number = (name: keyof SplitFields) => (event: Event) =>
    setFields({ ...fields, [name]: Number((event.currentTarget as HTMLInputElement).value) });

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await props.onSave(fields);
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    // The API checks every field and names the one that is wrong, beside the form.
    <form class="row" noValidate onSubmit={submit} aria-label={`Canary split of ${props.view.alias}`}>
      <label>
        Canary alias
        <select
          value={fields.to_alias}
          onChange={(event) => setFields({ ...fields, to_alias: event.currentTarget.value })}
        >
          {props.others.map((other) => (
            <option key={other.name} value={other.name}>
              {other.name} ({other.version})
            </option>
          ))}
        </select>
      </label>
      <label>
        Weight (%)
        <input
          type="number"
          min={1}
          max={MAX_CANARY_WEIGHT}
          value={fields.weight}
          onInput={number("weight")}
        />
      </label>
      <label>
        Max error rate (0–1)
        <input
          type="number"
          min={0}
          max={1}
          step={0.01}
          value={fields.max_error_rate}
          onInput={number("max_error_rate")}
        />
      </label>
      <label>
        Max p95 (ms)
        <input type="number" min={1} value={fields.max_p95_ms} onInput={number("max_p95_ms")} />
      </label>
      <label>
        Min requests
        <input type="number" min={1} value={fields.min_requests} onInput={number("min_requests")} />
      </label>
      <button type="submit" class="primary" disabled={busy}>
        Save the split
      </button>
      {error === null ? null : <p role="alert">{error}</p>}
    </form>
  );
}
