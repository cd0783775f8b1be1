import type { Alias } from "@sdgate/shared";
import { useState } from "preact/hooks";
import type { StudioContext } from "../shell/studio-context.ts";
import { AliasHistory } from "./alias-history.tsx";
import { actorName, when } from "./format.ts";
import type { ModelState } from "./model-detail.tsx";
import { SplitPanel } from "./split-panel.tsx";

/** A model's aliases: the version each points at, its moves, and its canary split. */
export function AliasesSection(props: { state: ModelState; studio: StudioContext }) {
  const { model, aliases } = props.state;
  return (
    <section class="card" aria-labelledby="aliases-title">
      <h2 id="aliases-title">Aliases</h2>
      {aliases.length === 0 ? <p>No alias yet: an approved promotion makes one.</p> : null}
      <ul class="alias-list">
        {aliases.map((alias) => (
          <AliasItem
            key={alias.name}
            modelId={model.id}
            alias={alias}
            aliases={aliases}
            studio={props.studio}
          />
        ))}
      </ul>
    </section>
  );
}

function AliasItem(props: { modelId: string; alias: Alias; aliases: Alias[]; studio: StudioContext }) {
  const { modelId, alias } = props;
  const [showHistory, setShowHistory] = useState(false);
  const historyId = `history-${alias.name}`;
  return (
    <li aria-label={`Alias ${alias.name}`}>
      <p class="alias-line">
        <strong>{alias.name}</strong> → <strong>{alias.version}</strong>{" "}
        <span class="muted">
          revision {alias.revision}, moved {when(alias.updated_at)} by {actorName(alias.updated_by)}
          {alias.promotion_id === null ? " (bootstrap)" : ` (${alias.promotion_id})`}
        </span>
      </p>
      <button
        type="button"
        aria-expanded={showHistory}
        aria-controls={historyId}
        onClick={() => setShowHistory(!showHistory)}
      >
        {showHistory ? "Hide history" : "History"} of {alias.name}
      </button>
      <div id={historyId}>
        {showHistory ? (
          <AliasHistory
            key={`${alias.name}@${alias.revision}`}
            session={props.studio.session}
            modelId={modelId}
            alias={alias.name}
          />
        ) : null}
      </div>
      <SplitPanel
        key={`${alias.name}@${alias.revision}`}
        modelId={modelId}
        alias={alias}
        aliases={props.aliases}
        studio={props.studio}
      />
    </li>
  );
}
