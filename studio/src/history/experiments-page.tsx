import { isSdgateApiError, type Sdgate } from "@sdgate/sdk";
import type { Experiment } from "@sdgate/shared";
import { useEffect, useState } from "preact/hooks";
import { hrefOf, navigate } from "../shell/route.ts";
import type { StudioContext } from "../shell/studio-context.ts";
import "./history.css";
import { filtersOf, queryOfFilters } from "./filters.ts";
import { viewerOf } from "./history-page.tsx";
import { whenText } from "./run-facts.ts";
import { RunsBrowser } from "./runs-browser.tsx";

/** `#/experiments`: the team's experiments; `#/experiments/<name>[/<run id>]`: one experiment's runs. */
export function ExperimentsPage(props: { studio: StudioContext; client: Sdgate }) {
  const [name, runId] = props.studio.route.rest;
  return name === undefined ? (
    <ExperimentList client={props.client} />
  ) : (
    <ExperimentRuns studio={props.studio} client={props.client} name={name} runId={runId ?? null} />
  );
}

function ExperimentList(props: { client: Sdgate }) {
  const [experiments, setExperiments] = useState<Experiment[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    props.client.runs.experiments().then(
      ({ data }) => setExperiments(data),
      (failure: unknown) => setError(isSdgateApiError(failure) ? failure.message : String(failure)),
    );
  }, [props.client]);
  return (
    <section class="experiments" aria-labelledby="experiments-title">
      <h2 id="experiments-title">Experiments</h2>
      <p>
        A run joins an experiment when its request names one in the <code>Sdgate-Experiment</code> header
        (made on first use).
      </p>
      {error === null ? null : <p role="alert">{error}</p>}
      {experiments === null && error === null ? <p>Loading the team's experiments…</p> : null}
      {experiments?.length === 0 ? <p>No experiments yet.</p> : null}
      {experiments === null || experiments.length === 0 ? null : (
        <table>
          <thead>
            <tr>
              <th scope="col">Experiment</th>
              <th scope="col">Runs</th>
              <th scope="col">Started</th>
              <th scope="col">Started by</th>
            </tr>
          </thead>
          <tbody>
            {experiments.map((experiment) => (
              <tr key={experiment.id}>
                <th scope="row">
                  <a href={hrefOf("experiments", [experiment.name])}>{experiment.name}</a>
                </th>
                <td>{experiment.runs}</td>
                <td>{whenText(experiment.created_at)}</td>
                <td>{experiment.created_by}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function ExperimentRuns(props: {
  studio: StudioContext;
  client: Sdgate;
  name: string;
  runId: string | null;
}) {
  const { name } = props;
  const own = filtersOf(props.studio.route.query);
  const filters = { ...own, experiment: name };
  const rest = queryOfFilters({ ...own, experiment: "" });
  return (
    <section class="history" aria-labelledby="experiment-title">
      <p class="crumbs">
        <a href={hrefOf("experiments")}>Experiments</a> /
      </p>
      <h2 id="experiment-title">{name}</h2>
      <RunsBrowser
        client={props.client}
        viewer={viewerOf(props.studio)}
        filters={filters}
        fixed={["experiment"]}
        onFilters={(next) => navigate("experiments", [name], queryOfFilters({ ...next, experiment: "" }))}
        openRunId={props.runId}
        hrefOfRun={(id) => hrefOf("experiments", [name, id], rest)}
      />
    </section>
  );
}
