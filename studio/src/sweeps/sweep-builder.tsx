import { isSdgateApiError, type Sdgate } from "@sdgate/sdk";
import type { Model, SweepEstimate } from "@sdgate/shared";
import { useEffect, useState } from "preact/hooks";
import { type Draft, draftFor, draftOfQuery, queryOf, requestOf } from "../playground/draft.ts";
import { GenerationForm } from "../playground/generation-form.tsx";
import { firstBaseModel } from "../playground/refiner-draft.ts";
import { navigate } from "../shell/route.ts";
import { type AxisDraft, AxisEditor } from "./axis-editor.tsx";
import { type SweepExtras, sweepBodyOf } from "./sweep-body.ts";
import { SweepPrice } from "./sweep-price.tsx";

const message = (error: unknown) => (isSdgateApiError(error) ? error.message : String(error));
const PRICE_DELAY_MS = 300;

/** Two axes to start from: the draft's steps doubled across, two seeds down. */
function startingAxes(draft: Draft): AxisDraft[] {
  return [
    { field: "steps", text: `${draft.steps}, ${draft.steps * 2}` },
    { field: "seed", text: `${draft.seed}, ${draft.seed + 1}` },
  ];
}

/**
 * Builds a sweep from the playground's draft (the page's query, as the playground keeps it): the base
 * request, the axes, a credit cap; prices it (a dry run) as it changes, and runs it.
 */
export function SweepBuilder(props: { client: Sdgate }) {
  const { client } = props;
  const [models, setModels] = useState<Model[] | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [axes, setAxes] = useState<AxisDraft[]>([]);
  const [extras, setExtras] = useState<SweepExtras>({ name: "", experiment: "", maxCredits: "" });
  const [estimate, setEstimate] = useState<SweepEstimate | null>(null);
  const [priceError, setPriceError] = useState<string | null>(null);
  const [runError, setRunError] = useState<string | null>(null);
  const [running, setRunning] = useState(false);

  useEffect(() => {
    client.models.list().then(
      ({ data }) => {
        setModels(data);
        const first = firstBaseModel(data);
        if (first === undefined) return;
        const fromQuery = draftOfQuery(location.search, draftFor(first));
        setDraft(fromQuery);
        setAxes(startingAxes(fromQuery));
      },
      (failure: unknown) => setRunError(message(failure)),
    );
  }, [client]);

  // The base request stays in the URL, where the playground keeps it too.
  useEffect(() => {
    if (draft !== null) history.replaceState(null, "", `?${queryOf(draft)}${location.hash}`);
  }, [draft]);

  const made = draft === null ? null : sweepBodyOf(requestOf(draft), axes, extras);

  useEffect(() => {
    setEstimate(null);
    if (made === null || !made.ok || draft?.prompt.trim() === "") {
      setPriceError(made !== null && !made.ok ? made.message : "Write a prompt to price the grid.");
      return;
    }
    setPriceError(null);
    const controller = new AbortController();
    const timer = setTimeout(() => {
      client.sweeps
        .estimate(made.body, { signal: controller.signal })
        .then(setEstimate, (failure: unknown) => {
          if (!controller.signal.aborted) setPriceError(message(failure));
        });
    }, PRICE_DELAY_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [client, JSON.stringify(made)]);

  if (models === null || draft === null)
    return runError !== null ? <p role="alert">{runError}</p> : <p>Loading the models your key may use…</p>;

  const run = async () => {
    if (made === null || !made.ok) return;
    setRunning(true);
    setRunError(null);
    try {
      const sweep = await client.sweeps.create(made.body);
      navigate("sweeps", [sweep.id]);
    } catch (failure) {
      setRunError(message(failure));
    } finally {
      setRunning(false);
    }
  };
  const set = (name: keyof SweepExtras, value: string) => setExtras({ ...extras, [name]: value });

  return (
    <section class="card sweep-builder" aria-labelledby="sweep-builder-title">
      <h2 id="sweep-builder-title">New sweep</h2>
      <p>
        The base request comes from the playground's form; each cell changes it by its axes' values. Cells run
        as jobs spread over the backends.
      </p>
      <GenerationForm draft={draft} models={models} client={client} onChange={setDraft} />
      <AxisEditor axes={axes} onChange={setAxes} />
      <div class="row">
        <label>
          Name
          <input value={extras.name} onInput={(event) => set("name", event.currentTarget.value)} />
        </label>
        <label>
          Experiment
          <input
            value={extras.experiment}
            onInput={(event) => set("experiment", event.currentTarget.value)}
          />
        </label>
        <label>
          Credit cap
          <input
            inputMode="numeric"
            value={extras.maxCredits}
            placeholder="none"
            onInput={(event) => set("maxCredits", event.currentTarget.value)}
          />
        </label>
      </div>
      <SweepPrice estimate={estimate} error={priceError} />
      {runError !== null ? <p role="alert">{runError}</p> : null}
      <button
        type="button"
        class="primary"
        disabled={running || estimate === null || estimate.refusal !== null}
        onClick={run}
      >
        {running ? "Starting…" : "Run sweep"}
      </button>
    </section>
  );
}
