/**
 * Which rows of a long list of fixed-height rows are drawn: those in the viewport and `overscan` on
 * each side, so 10,000 runs cost the DOM a few dozen rows.
 *
 * @example
 * windowRange({ scrollTopPx: 720, viewportPx: 600, rowPx: 72, count: 10_000 }); // { start: 5, end: 23 }
 */
export function windowRange(view: {
  scrollTopPx: number;
  viewportPx: number;
  rowPx: number;
  count: number;
  overscan?: number;
}): { start: number; end: number } {
  const overscan = view.overscan ?? 5;
  const first = Math.floor(Math.max(0, view.scrollTopPx) / view.rowPx);
  const visible = Math.ceil(Math.max(0, view.viewportPx) / view.rowPx) + 1;
  const start = Math.min(view.count, Math.max(0, first - overscan));
  const end = Math.min(view.count, first + visible + overscan);
  return { start, end: Math.max(start, end) };
}

/** Whether the drawn rows come within `aheadRows` of the loaded end: time to fetch the next page. */
export function nearEnd(range: { end: number }, loaded: number, aheadRows = 20): boolean {
  return loaded - range.end <= aheadRows;
}
