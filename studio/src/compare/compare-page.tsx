import { isSdgateApiError, type Sdgate } from "@sdgate/sdk";
import type { Run } from "@sdgate/shared";
import { useEffect, useState } from "preact/hooks";
import { ShareButton } from "../share/share-button.tsx";
import { navigate, type Route } from "../shell/route.ts";
import { CompareView } from "./compare-view.tsx";
import { comparedOf } from "./compared-run.ts";
import { RunPicker } from "./run-picker.tsx";

/** The runs a compare URL names: `#/compare?runs=<id>,<id>,…` (a run may be named twice). */
export function runIdsOfRoute(route: Route): string[] {
  return (route.query.get("runs") ?? "")
    .split(",")
    .map((id) => id.trim())
    .filter((id) => id !== "");
}

const go = (ids: readonly string[]) =>
  navigate("compare", [], ids.length === 0 ? {} : { runs: ids.join(",") });

/**
 * Compare: the runs the URL names, read from the team's history, side by side or two at a time
 * (slider, fade, pixel difference) with their parameter diff; more added from the recent runs; shared
 * through a link.
 */
export function ComparePage(props: { client: Sdgate; route: Route }) {
  const { client } = props;
  const ids = runIdsOfRoute(props.route);
  const [runs, setRuns] = useState<Map<string, Run | string>>(new Map());
  const key = ids.join(",");

  useEffect(() => {
    let current = true;
    const wanted = [...new Set(key.split(",").filter((id) => id !== ""))];
    Promise.all(
      wanted.map((id) =>
        client.runs.get(id).then(
          (run): [string, Run | string] => [id, run],
          (error: unknown): [string, Run | string] => [
            id,
            isSdgateApiError(error) && error.status === 404
              ? `Run ${id} is not in your team's history.`
              : String(error),
          ],
        ),
      ),
    ).then((found) => current && setRuns(new Map(found)));
    return () => {
      current = false;
    };
  }, [client, key]);

  const loaded = ids.flatMap((id) => {
    const run = runs.get(id);
    return run === undefined || typeof run === "string" ? [] : [run];
  });
  const problems = [...runs.values()].filter((run): run is string => typeof run === "string");
  const waiting = ids.some((id) => !runs.has(id));

  return (
    <div class="compare-page">
      <section class="card" aria-labelledby="compare-title">
        <h2 id="compare-title">Compare</h2>
        {problems.map((problem) => (
          <p key={problem} role="alert">
            {problem}
          </p>
        ))}
        {ids.length < 2 ? <p>Add two or more runs below to compare them.</p> : null}
        {waiting ? <p>Loading the runs…</p> : null}
        {!waiting && loaded.length >= 2 ? (
          <>
            <ol class="chosen">
              {ids.map((id, index) => (
                <li key={index}>
                  Run {index + 1}: <code>{id}</code>{" "}
                  <button
                    type="button"
                    aria-label={`Remove run ${index + 1}`}
                    onClick={() => go(ids.filter((_, at) => at !== index))}
                  >
                    Remove
                  </button>
                </li>
              ))}
            </ol>
            <CompareView key={key} runs={loaded.map(comparedOf)} />
            <ShareButton client={client} layout={{ kind: "comparison", runs: loaded.map((run) => run.id) }} />
          </>
        ) : null}
      </section>
      <RunPicker client={client} onAdd={(id) => go([...ids, id])} />
    </div>
  );
}
