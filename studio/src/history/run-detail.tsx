import type { Sdgate } from "@sdgate/sdk";
import type { Run } from "@sdgate/shared";
import { ReproduceButton } from "./reproduce-button.tsx";
import { costText, engineText, latencyText, modelText, outcomeText, whenText } from "./run-facts.ts";
import { playgroundLinks } from "./run-links.ts";
import { RunNotes } from "./run-notes.tsx";
import { RunThumbs } from "./run-thumbs.tsx";

/** One run in full: its recipe and numbers, its images, what to do with it, and the team's notes. */
export function RunDetail(props: {
  client: Sdgate;
  run: Run;
  you: string | null;
  onSaved: (run: Run) => void;
}) {
  const { run } = props;
  const links = playgroundLinks(run, location.search);
  const facts: Array<[string, string]> = [
    ["Model", modelText(run)],
    ["Status", outcomeText(run)],
    ["When", `${whenText(run.created_at)} (${new Date(run.created_at).toLocaleString()})`],
    ["Cost", costText(run.cost)],
    ["Latency", latencyText(run.latency_ms)],
    ["Backend", run.backend ?? "none"],
    ["Engine", engineText(run)],
    ["Seeds", run.images.map((image) => image.seed).join(", ")],
    ["Key", run.key_name === null ? run.key_id : `${run.key_name} (${run.key_id})`],
    [
      "Person",
      run.person === null
        ? "an admin-token key"
        : run.person === props.you
          ? "you"
          : (run.person_name ?? run.person),
    ],
    ["Experiment", run.experiment ?? "none"],
  ];
  return (
    <section class="run-detail card" aria-label="Run">
      <h2>{run.prompt}</h2>
      {run.negative_prompt === "" ? null : <p class="negative">Negative: {run.negative_prompt}</p>}
      <RunThumbs run={run} />
      <dl>
        {facts.map(([name, value]) => (
          <div key={name}>
            <dt>{name}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      <div class="row actions">
        {links.remix === null ? null : <a href={links.remix}>Remix</a>}
        {links.useSeed === null ? null : <a href={links.useSeed}>Use seed</a>}
        {links.useAll === null ? null : <a href={links.useAll}>Use all</a>}
      </div>
      <ReproduceButton key={run.id} client={props.client} run={run} />
      <RunNotes key={run.id} client={props.client} run={run} onSaved={props.onSaved} />
    </section>
  );
}
