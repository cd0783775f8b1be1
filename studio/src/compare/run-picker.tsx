import { isSdgateApiError, type Sdgate } from "@sdgate/sdk";
import type { Run } from "@sdgate/shared";
import { useEffect, useState } from "preact/hooks";

const RECENT_RUNS = 24;

/** The team's recent runs that made images, each one click from the comparison (a run may be added twice). */
export function RunPicker(props: { client: Sdgate; onAdd: (id: string) => void }) {
  const [runs, setRuns] = useState<Run[] | string | null>(null);
  useEffect(() => {
    props.client.runs.list({ status: "succeeded", limit: RECENT_RUNS }).then(
      (page) => setRuns(page.data),
      (error: unknown) => setRuns(isSdgateApiError(error) ? error.message : String(error)),
    );
  }, [props.client]);

  return (
    <section class="card run-picker" aria-label="Add runs">
      <h2>Add runs</h2>
      {runs === null ? <p>Loading the team's recent runs…</p> : null}
      {typeof runs === "string" ? <p role="alert">{runs}</p> : null}
      {Array.isArray(runs) && runs.length === 0 ? <p>The team has no runs with images yet.</p> : null}
      {Array.isArray(runs) ? (
        <ul>
          {runs.map((run) => {
            const image = run.images[0];
            const name = `${run.prompt.slice(0, 60)}, seed ${image?.seed ?? "?"}`;
            return (
              <li key={run.id}>
                {image?.url ? <img src={image.url} alt="" width={48} height={48} /> : null}
                <span class="prompt">
                  {run.prompt}
                  <small>
                    {" "}
                    · seed {image?.seed ?? "?"} · {new Date(run.created_at).toLocaleString()}
                  </small>
                </span>
                <button type="button" aria-label={`Add ${name}`} onClick={() => props.onAdd(run.id)}>
                  Add
                </button>
              </li>
            );
          })}
        </ul>
      ) : null}
    </section>
  );
}
