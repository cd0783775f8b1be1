import "./compare.css";
import { useState } from "preact/hooks";
import type { ComparedRun } from "./compared-run.ts";
import { DiffView } from "./diff-view.tsx";
import { FadeView } from "./fade-view.tsx";
import { ParamDiff } from "./param-diff.tsx";
import { SliderView } from "./slider-view.tsx";
import { CENTRE, IDENTITY, type ViewTransform, zoomAt } from "./view-transform.ts";
import { RunImage, Zoomed, ZoomPane } from "./zoom-pane.tsx";

const MODES = [
  { id: "side", title: "Side by side" },
  { id: "slider", title: "Slider" },
  { id: "fade", title: "Fade" },
  { id: "diff", title: "Pixel difference" },
] as const;
type Mode = (typeof MODES)[number]["id"];

/**
 * Two or more runs compared: side by side, or two of them through a slider, a fade or their pixel
 * difference, every pane zoomed and panned together; the parameter diff beside the pixels.
 */
export function CompareView(props: { runs: readonly ComparedRun[] }) {
  const { runs } = props;
  const [mode, setMode] = useState<Mode>("side");
  const [view, setView] = useState<ViewTransform>(IDENTITY);
  const [pair, setPair] = useState<[number, number]>([0, 1]);
  const a = runs[pair[0]] ?? runs[0];
  const b = runs[pair[1]] ?? runs[1];
  if (a === undefined || b === undefined) return <p>Choose at least two runs to compare.</p>;
  const zoom = (factor: number) => setView(zoomAt(view, factor, CENTRE));

  return (
    <div class="compare-view">
      <div class="compare-pixels">
        <div class="row compare-controls">
          <fieldset class="modes">
            <legend>Mode</legend>
            {MODES.map((option) => (
              <label key={option.id} class="inline">
                <input
                  type="radio"
                  name="compare-mode"
                  value={option.id}
                  checked={mode === option.id}
                  onChange={() => setMode(option.id)}
                />
                {option.title}
              </label>
            ))}
          </fieldset>
          {mode !== "side" && runs.length > 2 ? (
            <>
              <PairPick
                label="Image A"
                runs={runs}
                value={pair[0]}
                onPick={(index) => setPair([index, pair[1]])}
              />
              <PairPick
                label="Image B"
                runs={runs}
                value={pair[1]}
                onPick={(index) => setPair([pair[0], index])}
              />
            </>
          ) : null}
          <fieldset class="zoom-buttons">
            <legend>Zoom</legend>
            <button type="button" onClick={() => zoom(2)}>
              Zoom in
            </button>
            <button type="button" onClick={() => zoom(0.5)} disabled={view.scale <= 1}>
              Zoom out
            </button>
            <button type="button" onClick={() => setView(IDENTITY)} disabled={view.scale <= 1}>
              Reset zoom
            </button>
            <span aria-live="polite">{Math.round(view.scale * 100)} %</span>
          </fieldset>
        </div>
        {mode === "side" ? (
          <ul class="side-by-side">
            {runs.map((run, index) => (
              <li key={index}>
                <figure>
                  <ZoomPane label={run.label} view={view} onView={setView} aspect={run.width / run.height}>
                    <Zoomed view={view}>
                      <RunImage url={run.imageUrl} alt={run.label} />
                    </Zoomed>
                  </ZoomPane>
                  <figcaption>{run.label}</figcaption>
                </figure>
              </li>
            ))}
          </ul>
        ) : null}
        {mode === "slider" ? <SliderView a={a} b={b} view={view} onView={setView} /> : null}
        {mode === "fade" ? <FadeView a={a} b={b} view={view} onView={setView} /> : null}
        {mode === "diff" ? <DiffView a={a} b={b} view={view} onView={setView} /> : null}
      </div>
      <ParamDiff runs={runs} />
    </div>
  );
}

function PairPick(props: {
  label: string;
  runs: readonly ComparedRun[];
  value: number;
  onPick: (index: number) => void;
}) {
  return (
    <label>
      {props.label}
      <select value={props.value} onChange={(event) => props.onPick(Number(event.currentTarget.value))}>
        {props.runs.map((run, index) => (
          <option key={index} value={index}>
            {run.label}
          </option>
        ))}
      </select>
    </label>
  );
}
