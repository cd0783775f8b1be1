import { useState } from "preact/hooks";
import type { ComparedRun } from "./compared-run.ts";
import type { ViewTransform } from "./view-transform.ts";
import { RunImage, Zoomed, ZoomPane } from "./zoom-pane.tsx";

/**
 * Two images in one pane, A left of a divider and B right of it; the divider is dragged, or moved
 * with its slider from the keyboard.
 */
export function SliderView(props: {
  a: ComparedRun;
  b: ComparedRun;
  view: ViewTransform;
  onView: (view: ViewTransform) => void;
}) {
  const { a, b, view } = props;
  const [percent, setPercent] = useState(50);
  const follow = (event: PointerEvent) => {
    const box = (event.currentTarget as HTMLElement).parentElement?.getBoundingClientRect();
    if (box === undefined || box.width === 0) return;
    setPercent(Math.round(Math.min(100, Math.max(0, ((event.clientX - box.left) / box.width) * 100))));
  };
  return (
    <div class="slider-view">
      <ZoomPane
        label={`${a.label} left, ${b.label} right`}
        view={view}
        onView={props.onView}
        aspect={a.width / a.height}
      >
        <div class="layer">
          <Zoomed view={view}>
            <RunImage url={b.imageUrl} alt={b.label} />
          </Zoomed>
        </div>
        <div class="layer" style={{ clipPath: `inset(0 ${100 - percent}% 0 0)` }}>
          <Zoomed view={view}>
            <RunImage url={a.imageUrl} alt={a.label} />
          </Zoomed>
        </div>
        <div
          class="divider"
          style={{ left: `${percent}%` }}
          aria-hidden="true"
          onPointerDown={(event) => {
            event.stopPropagation();
            (event.currentTarget as HTMLElement).setPointerCapture(event.pointerId);
          }}
          onPointerMove={(event) => {
            if ((event.currentTarget as HTMLElement).hasPointerCapture(event.pointerId)) follow(event);
          }}
        />
      </ZoomPane>
      <label>
        Divider position
        <input
          type="range"
          min={0}
          max={100}
          value={percent}
          aria-valuetext={`${percent} % ${a.label}`}
          onInput={(event) => setPercent(Number(event.currentTarget.value))}
        />
      </label>
    </div>
  );
}
