/**
 * The zoom and pan every pane of a comparison shares, so the same pixel sits under the same point in
 * each whatever the panes' sizes: a scale, and an offset as a fraction of the pane (−0.5: half a pane
 * left), applied as `translate(x %, y %) scale(s)` from the top left.
 */
export interface ViewTransform {
  scale: number;
  x: number;
  y: number;
}

/** A point of a pane as fractions of its width and height (0 to 1). */
export interface PanePoint {
  x: number;
  y: number;
}

export const MIN_SCALE = 1;
export const MAX_SCALE = 32;
export const IDENTITY: ViewTransform = { scale: 1, x: 0, y: 0 };
export const CENTRE: PanePoint = { x: 0.5, y: 0.5 };

/** Keeps the image covering its pane: no zooming out past 1, no panning past its edges. */
export function clampView(view: ViewTransform): ViewTransform {
  const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, view.scale));
  const clamp = (offset: number) => Math.min(0, Math.max(1 - scale, offset));
  return { scale, x: clamp(view.x), y: clamp(view.y) };
}

/**
 * Zooms by `factor` about a point of the pane (the pointer, or the centre), keeping the pixel under it
 * where it is.
 *
 * @example
 * zoomAt(IDENTITY, 2, CENTRE); // { scale: 2, x: -0.5, y: -0.5 }
 */
export function zoomAt(view: ViewTransform, factor: number, at: PanePoint): ViewTransform {
  const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, view.scale * factor));
  const applied = scale / view.scale;
  return clampView({ scale, x: at.x - (at.x - view.x) * applied, y: at.y - (at.y - view.y) * applied });
}

/** Moves the view by a drag or an arrow key's step (fractions of the pane), within the image's edges. */
export function panBy(view: ViewTransform, dx: number, dy: number): ViewTransform {
  return clampView({ ...view, x: view.x + dx, y: view.y + dy });
}

/** The CSS transform of a view, on an element the pane's size (translate's % is of the element). */
export const cssOf = (view: ViewTransform) =>
  `translate(${view.x * 100}%, ${view.y * 100}%) scale(${view.scale})`;
