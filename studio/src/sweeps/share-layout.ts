import { MAX_GRID_AXIS_VALUES, MAX_GRID_CELLS, type ShareLayout, type SweepAxis } from "@sdgate/shared";
import { FIELD_LABELS } from "./axis-values.ts";
import type { Grid } from "./grid.ts";

/** A grid's axis as a share names it: its field (`Steps`) and its values in the grid's order. */
function axisOf(axis: SweepAxis, headings: Grid["columns"]): { label: string; values: string[] } {
  return {
    label: FIELD_LABELS[axis.field],
    values: headings.map((heading) => String(axis.values[heading.index] ?? "")),
  };
}

/**
 * The share layout of one page of a sweep's grid as it is laid out now (X across, Y down), its cells
 * those that made a run; or why it cannot be shared (nothing ran yet, or past a share's size).
 *
 * @example
 * const shared = gridShareLayout(grid, 0);
 * if (shared.ok) client.shares.create({ layout: shared.layout });
 */
export function gridShareLayout(
  grid: Grid,
  page: number,
): { ok: true; layout: ShareLayout } | { ok: false; reason: string } {
  if (grid.columns.length > MAX_GRID_AXIS_VALUES || grid.rows.length > MAX_GRID_AXIS_VALUES)
    return { ok: false, reason: `A shared grid has at most ${MAX_GRID_AXIS_VALUES} values an axis.` };
  const cells: Array<{ x: number; y: number; run: string }> = [];
  for (const [y, row] of grid.rows.entries())
    for (const [x, column] of grid.columns.entries()) {
      const run = grid.cellAt(page, row.index, column.index)?.run_id;
      if (run !== null && run !== undefined) cells.push({ x, y, run });
    }
  if (cells.length === 0) return { ok: false, reason: "No cell has finished yet." };
  if (cells.length > MAX_GRID_CELLS)
    return { ok: false, reason: `A shared grid has at most ${MAX_GRID_CELLS} cells.` };
  const [across, down] = grid.axes;
  if (across === null || across === undefined) return { ok: false, reason: "The sweep has no axis." };
  // A one-axis sweep is one row: its Y axis has a single, unnamed value.
  const y = down === null || down === undefined ? { label: "Row", values: ["all"] } : axisOf(down, grid.rows);
  return { ok: true, layout: { kind: "grid", x: axisOf(across, grid.columns), y, cells } };
}
