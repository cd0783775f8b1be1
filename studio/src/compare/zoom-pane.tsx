import type { ComponentChildren } from "preact";
import { useRef } from "preact/hooks";
import { CENTRE, cssOf, IDENTITY, panBy, type ViewTransform, zoomAt } from "./view-transform.ts";

/** An arrow key moves the view by this share of the pane. */
const KEY_PAN = 0.05;
const ZOOM_STEP = 1.5;

/**
 * A pane whose zoom and pan are the comparison's, shared with every other pane: the wheel zooms about
 * the pointer, a drag pans, and from the keyboard + and − zoom, the arrows pan and 0 resets.
 */
export function ZoomPane(props: {
  label: string;
  view: ViewTransform;
  onView: (view: ViewTransform) => void;
  aspect: number;
  children: ComponentChildren;
}) {
  const { view, onView } = props;
  const pane = useRef<HTMLElement>(null);
  const drag = useRef<{ x: number; y: number } | null>(null);
  // Pointer positions and moves as fractions of the pane, so panes of any size stay together.
  const box = () => {
    const rect = pane.current?.getBoundingClientRect();
    return { left: rect?.left ?? 0, top: rect?.top ?? 0, width: rect?.width || 1, height: rect?.height || 1 };
  };

  const onWheel = (event: WheelEvent) => {
    event.preventDefault();
    const { left, top, width, height } = box();
    const at = { x: (event.clientX - left) / width, y: (event.clientY - top) / height };
    onView(zoomAt(view, event.deltaY < 0 ? ZOOM_STEP : 1 / ZOOM_STEP, at));
  };
  const onKeyDown = (event: KeyboardEvent) => {
    const moves: Record<string, () => ViewTransform> = {
      "+": () => zoomAt(view, ZOOM_STEP, CENTRE),
      "=": () => zoomAt(view, ZOOM_STEP, CENTRE),
      "-": () => zoomAt(view, 1 / ZOOM_STEP, CENTRE),
      "0": () => IDENTITY,
      ArrowLeft: () => panBy(view, KEY_PAN, 0),
      ArrowRight: () => panBy(view, -KEY_PAN, 0),
      ArrowUp: () => panBy(view, 0, KEY_PAN),
      ArrowDown: () => panBy(view, 0, -KEY_PAN),
    };
    const move = moves[event.key];
    if (move === undefined) return;
    event.preventDefault();
    onView(move());
  };

  return (
    <section
      ref={pane}
      class="zoom-pane"
      aria-label={`${props.label}: + and − zoom, arrows pan, 0 resets`}
      // biome-ignore lint/a11y/noNoninteractiveTabindex: the pane is operated from the keyboard (zoom, pan), as its label says
      tabIndex={0}
      style={{ aspectRatio: String(props.aspect) }}
      onWheel={onWheel}
      onKeyDown={onKeyDown}
      onPointerDown={(event) => {
        drag.current = { x: event.clientX, y: event.clientY };
        (event.currentTarget as HTMLElement).setPointerCapture(event.pointerId);
      }}
      onPointerMove={(event) => {
        const from = drag.current;
        if (from === null) return;
        const { width, height } = box();
        drag.current = { x: event.clientX, y: event.clientY };
        onView(panBy(view, (event.clientX - from.x) / width, (event.clientY - from.y) / height));
      }}
      onPointerUp={() => {
        drag.current = null;
      }}
    >
      {props.children}
    </section>
  );
}

/** Content that moves with the shared view: an image, a canvas. */
export function Zoomed(props: { view: ViewTransform; children: ComponentChildren }) {
  return (
    <div class="zoomed" style={{ transform: cssOf(props.view) }}>
      {props.children}
    </div>
  );
}

/** A run's image in a pane, or what stands for it when it has none. */
export function RunImage(props: { url: string | null; alt: string }) {
  return props.url === null ? (
    <p class="no-image">No image to show</p>
  ) : (
    <img src={props.url} alt={props.alt} draggable={false} />
  );
}
