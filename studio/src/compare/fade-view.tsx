import { useState } from "preact/hooks";
import type { ComparedRun } from "./compared-run.ts";
import type { ViewTransform } from "./view-transform.ts";
import { RunImage, Zoomed, ZoomPane } from "./zoom-pane.tsx";

/** B over A with an opacity the person sets: 0 shows A, 100 shows B. */
export function FadeView(props: {
  a: ComparedRun;
  b: ComparedRun;
  view: ViewTransform;
  onView: (view: ViewTransform) => void;
}) {
  const { a, b, view } = props;
  const [percent, setPercent] = useState(50);
  return (
    <div class="fade-view">
      <ZoomPane
        label={`${b.label} over ${a.label}`}
        view={view}
        onView={props.onView}
        aspect={a.width / a.height}
      >
        <div class="layer">
          <Zoomed view={view}>
            <RunImage url={a.imageUrl} alt={a.label} />
          </Zoomed>
        </div>
        <div class="layer" style={{ opacity: percent / 100 }}>
          <Zoomed view={view}>
            <RunImage url={b.imageUrl} alt={b.label} />
          </Zoomed>
        </div>
      </ZoomPane>
      <label>
        Opacity of {b.label}
        <input
          type="range"
          min={0}
          max={100}
          value={percent}
          aria-valuetext={`${percent} %`}
          onInput={(event) => setPercent(Number(event.currentTarget.value))}
        />
      </label>
    </div>
  );
}
