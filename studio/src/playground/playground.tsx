import { isSdgateApiError, type Sdgate } from "@sdgate/sdk";
import type { Estimate, ImageRecipe, JobWithResult, Model, TeamBudgetStatus } from "@sdgate/shared";
import { useEffect, useRef, useState } from "preact/hooks";
import { CopyAsCode } from "./copy-code.tsx";
import {
  applyRecipe,
  type Draft,
  draftFor,
  draftOfQuery,
  type InputImages,
  NO_INPUT_IMAGES,
  queryOf,
  requestOf,
  rollSeed,
} from "./draft.ts";
import { EstimateLine } from "./estimate-line.tsx";
import { GenerationForm } from "./generation-form.tsx";
import { JobProgress, type RunState } from "./job-progress.tsx";
import { PngDrop } from "./png-drop.tsx";
import { firstBaseModel } from "./refiner-draft.ts";
import { Results } from "./results.tsx";

const message = (error: unknown) => (isSdgateApiError(error) ? error.message : String(error));
const ESTIMATE_DELAY_MS = 300;
/** About this many previews a run shows while it denoises. */
const PREVIEWS_PER_RUN = 5;

/**
 * The playground: the form, its estimate and the team budget left, a run as a job with its progress
 * and previews, then the images, what they cost, and the run as code.
 */
export function Playground(props: { client: Sdgate; teamBudget?: () => Promise<TeamBudgetStatus | null> }) {
  const { client, teamBudget } = props;
  const [inputs, setInputs] = useState<InputImages>(NO_INPUT_IMAGES);
  const [budget, setBudget] = useState<TeamBudgetStatus | null>(null);
  const [models, setModels] = useState<Model[] | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [estimate, setEstimate] = useState<Estimate | null>(null);
  const [estimateError, setEstimateError] = useState<string | null>(null);
  const [run, setRun] = useState<RunState | null>(null);
  const [done, setDone] = useState<{
    job: JobWithResult;
    estimated: number | null;
    request: ReturnType<typeof requestOf> & { seed: number };
  } | null>(null);
  const [carried, setCarried] = useState<{ source: string; notCarried: string[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  /** Why the last Run was refused before it became a job (a 4xx naming a field): shown by the button. */
  const [refused, setRefused] = useState<string | null>(null);
  const stream = useRef<AbortController | null>(null);

  useEffect(() => {
    client.models.list().then(
      ({ data }) => {
        setModels(data);
        const first = firstBaseModel(data);
        if (first !== undefined) setDraft(draftOfQuery(location.search, draftFor(first)));
      },
      (failure: unknown) => setError(message(failure)),
    );
    return () => stream.current?.abort();
  }, [client]);

  // What is left of the team's monthly budget, read again after each run.
  useEffect(() => {
    if (
      teamBudget === undefined ||
      (run !== null && run.status !== "succeeded" && run.status !== "failed" && run.status !== "cancelled")
    )
      return;
    teamBudget().then(setBudget, () => setBudget(null));
  }, [teamBudget, run?.status]);

  // The form lives in the URL, so a person can share or bookmark it.
  useEffect(() => {
    if (draft !== null) history.replaceState(null, "", `?${queryOf(draft)}${location.hash}`);
  }, [draft]);

  useEffect(() => {
    if (draft === null || draft.prompt.trim() === "") {
      setEstimate(null);
      return;
    }
    const controller = new AbortController();
    const timer = setTimeout(() => {
      client.estimate(requestOf(draft, inputs), { signal: controller.signal }).then(
        (priced) => {
          setEstimate(priced);
          setEstimateError(null);
        },
        (failure: unknown) => {
          if (!controller.signal.aborted) setEstimateError(message(failure));
        },
      );
    }, ESTIMATE_DELAY_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [client, draft, inputs]);

  if (error !== null) return <p role="alert">{error}</p>;
  if (models === null || draft === null) return <p>Loading the models your key may use…</p>;

  const running = run !== null && (run.status === "queued" || run.status === "running");

  const start = async () => {
    const seeded = draft.seedLocked ? draft : { ...draft, seed: rollSeed() };
    setDraft(seeded);
    setDone(null);
    setRefused(null);
    const body = { ...requestOf(seeded, inputs), seed: seeded.seed };
    const estimated = estimate?.credits ?? null;
    let submitted = false;
    try {
      const job = await client.images.generateAsync(body, {
        previewEvery: Math.max(1, Math.round(seeded.steps / PREVIEWS_PER_RUN)),
      });
      submitted = true;
      let state: RunState = {
        jobId: job.id,
        status: job.status === "running" ? "running" : "queued",
        position: job.queue?.position ?? null,
        fraction: 0,
        step: null,
        steps: null,
        error: null,
        preview: null,
        credits: job.credits ?? null,
      };
      setRun(state);
      const controller = new AbortController();
      stream.current = controller;
      for await (const event of client.jobs.events(job.id, { signal: controller.signal })) {
        if (event.type === "queued") state = { ...state, status: "queued", position: event.data.position };
        else if (event.type === "started") state = { ...state, status: "running", position: null };
        else if (event.type === "progress")
          state = {
            ...state,
            status: "running",
            fraction: event.data.fraction,
            step: event.data.step,
            steps: event.data.steps,
            preview:
              event.data.preview === undefined
                ? state.preview
                : `data:image/${event.data.preview.format};base64,${event.data.preview.b64}`,
          };
        else if (event.type === "succeeded" || event.type === "failed" || event.type === "cancelled")
          state = {
            ...state,
            status: event.type,
            fraction: event.type === "succeeded" ? 1 : state.fraction,
            error: event.data.error?.message ?? null,
            credits: event.data.credits ?? null,
          };
        setRun(state);
      }
      if (state.status === "succeeded")
        setDone({ job: await client.jobs.get(job.id), estimated, request: body });
    } catch (failure) {
      // Refused before it became a job (a 4xx naming a field): said beside the form, which stays as it
      // was, to be fixed and run again.
      if (!submitted) setRefused(message(failure));
      else
        setRun((current) =>
          current === null ? null : { ...current, status: "failed", error: message(failure) },
        );
    }
  };

  const cancel = () => {
    if (run !== null) void client.jobs.cancel(run.jobId).catch(() => undefined);
  };

  const restore = (recipe: ImageRecipe) => {
    const applied = applyRecipe(draft, recipe, models);
    setDraft(applied.draft);
    setCarried({ source: recipe.source, notCarried: applied.notCarried });
  };

  return (
    <div class="playground">
      <div class="column">
        <GenerationForm
          draft={draft}
          models={models}
          client={client}
          onChange={setDraft}
          inputs={inputs}
          onInputs={setInputs}
        />
        <EstimateLine estimate={estimate} error={estimateError} budget={budget} />
        <button
          type="button"
          class="primary"
          disabled={running || draft.prompt.trim() === ""}
          onClick={start}
        >
          Run
        </button>
        {refused === null ? null : <p role="alert">{refused}</p>}
        <PngDrop onRecipe={restore} />
        {carried === null ? null : (
          <div class="carried" role="status" aria-label="PNG info">
            <p>Form filled from {carried.source === "sdgate" ? "an sdgate" : `a ${carried.source}`} image.</p>
            {carried.notCarried.length === 0 ? (
              <p>Everything carried over.</p>
            ) : (
              <>
                <p>Did not carry over:</p>
                <ul>
                  {carried.notCarried.map((line) => (
                    <li key={line}>{line}</li>
                  ))}
                </ul>
              </>
            )}
          </div>
        )}
      </div>
      <div class="column">
        {run === null ? null : <JobProgress run={run} onCancel={cancel} />}
        {done === null ? null : (
          <>
            <Results job={done.job} estimated={done.estimated} request={done.request} />
            <CopyAsCode request={done.request} />
          </>
        )}
      </div>
    </div>
  );
}
