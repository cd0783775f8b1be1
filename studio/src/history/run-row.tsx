import type { Run } from "@sdgate/shared";
import { useState } from "preact/hooks";
import { modelText, outcomeText, whenText } from "./run-facts.ts";

/** One run in the list: its first image's thumbnail (never the full image), prompt (opening it), model, outcome, when, and a Compare box. */
export function RunRow(props: {
  run: Run;
  href: string;
  open: boolean;
  selected: boolean;
  onSelect: (selected: boolean) => void;
}) {
  const { run } = props;
  const thumb = run.images[0]?.thumb_url ?? null;
  // Images made before thumbnails were have a link to none: they show the empty square instead.
  const [missing, setMissing] = useState(false);
  return (
    <div class={`run-row ${run.status}${props.open ? " open" : ""}`}>
      {thumb === null || missing ? (
        <span class="no-thumb" aria-hidden="true" />
      ) : (
        <img
          src={thumb}
          alt=""
          width={48}
          height={48}
          loading="lazy"
          decoding="async"
          onError={() => setMissing(true)}
        />
      )}
      <span class="run-text">
        <a href={props.href} aria-current={props.open ? "true" : undefined}>
          {run.prompt}
        </a>
        <span class="run-meta">
          {modelText(run)} · <span class="outcome">{outcomeText(run)}</span> · {whenText(run.created_at)}
          {run.experiment === null ? "" : ` · ${run.experiment}`}
          {run.rating === null ? "" : ` · ${"★".repeat(run.rating)}`}
        </span>
      </span>
      <label class="inline compare-box">
        <input
          type="checkbox"
          checked={props.selected}
          onChange={(event) => props.onSelect(event.currentTarget.checked)}
          aria-label={`Compare ${run.id}`}
        />
      </label>
    </div>
  );
}
