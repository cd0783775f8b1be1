import type { Sweep, SweepAxis, SweepCellView } from "@sdgate/shared";
import { FIELD_LABELS } from "./axis-values.ts";

/** Which of the sweep's axes runs across (X), down (Y) and as pages (Z): indexes into `sweep.axes`. */
export type Layout = readonly number[];

/**
 * The layout a URL query keeps (`axes=1,0`), or the sweep's own order when the query has none or a
 * wrong one: the grid's axes are state a person shares, so they live in the URL.
 *
 * @example
 * layoutOf(new URLSearchParams("axes=1,0"), 2); // [1, 0]
 */
export function layoutOf(query: URLSearchParams, axisCount: number): Layout {
  const own = Array.from({ length: axisCount }, (_, index) => index);
  const asked = (query.get("axes") ?? "").split(",").map(Number);
  const valid =
    asked.length === axisCount &&
    own.every((index) => asked.includes(index)) &&
    asked.every(Number.isInteger);
  return valid ? asked : own;
}

/** The layout with two of its places exchanged (X and Y: 0 and 1). */
export function swapped(layout: Layout, a = 0, b = 1): Layout {
  const next = [...layout];
  const [first, second] = [next[a], next[b]];
  if (first === undefined || second === undefined) return layout;
  next[a] = second;
  next[b] = first;
  return next;
}

export interface Heading {
  /** The value's index on its axis. */
  index: number;
  label: string;
}

export interface Grid {
  /** Each place's axis (X, Y, Z), `null` where the sweep has fewer axes. */
  axes: Array<SweepAxis | null>;
  columns: Heading[];
  rows: Heading[];
  pages: Heading[];
  /** The cell at a page, row and column (each a value index on that place's axis). */
  cellAt: (page: number, row: number, column: number) => SweepCellView | undefined;
}

/** A value as a grid heading names it: the field and the value (`Steps: 20`); Prompt S/R shows its text. */
export function valueLabel(axis: SweepAxis, index: number): string {
  const value = String(axis.values[index] ?? "");
  return axis.field === "prompt_sr" ? `“${value}”` : `${FIELD_LABELS[axis.field]}: ${value}`;
}

function headings(axis: SweepAxis | null): Heading[] {
  if (axis === null) return [{ index: 0, label: "" }];
  return axis.values.map((_, index) => ({ index, label: valueLabel(axis, index) }));
}

/**
 * The sweep laid out as X × Y, one page per Z value, whichever axis the layout puts where.
 *
 * @example
 * const grid = gridOf(sweep, [1, 0]); // the second axis across, the first down
 * grid.cellAt(0, row.index, column.index)?.images[0]?.url;
 */
export function gridOf(sweep: Pick<Sweep, "axes" | "cells">, layout: Layout): Grid {
  const axes = [0, 1, 2].map((place) => {
    const axisIndex = layout[place];
    return axisIndex === undefined ? null : (sweep.axes[axisIndex] ?? null);
  });
  const byPlace = new Map<string, SweepCellView>();
  for (const cell of sweep.cells) {
    const positions = [cell.coordinates.x, cell.coordinates.y ?? 0, cell.coordinates.z ?? 0];
    const placed = [0, 1, 2].map((place) => {
      const axisIndex = layout[place];
      return axisIndex === undefined ? 0 : (positions[axisIndex] ?? 0);
    });
    byPlace.set(placed.join(","), cell);
  }
  return {
    axes,
    columns: headings(axes[0] ?? null),
    rows: headings(axes[1] ?? null),
    pages: headings(axes[2] ?? null),
    cellAt: (page, row, column) => byPlace.get(`${column},${row},${page}`),
  };
}

const TEXT_QUERY = ["prompt", "negative_prompt", "model", "scheduler", "output_format"] as const;
const NUMBER_QUERY = ["width", "height", "steps", "guidance_scale", "seed"] as const;

/**
 * The playground with a cell's request filled in (its seed kept), in the query the playground reads
 * (`draftOfQuery`); what the playground has no control for stays in the recipe shown beside it.
 *
 * @example
 * <a href={playgroundHrefOf(cell.request)}>Open in the playground</a>
 */
export function playgroundHrefOf(request: Record<string, unknown>): string {
  const query = new URLSearchParams();
  for (const name of TEXT_QUERY) if (typeof request[name] === "string") query.set(name, request[name]);
  const [width, height] = typeof request.size === "string" ? request.size.split("x").map(Number) : [];
  const sized: Record<string, unknown> = {
    ...request,
    width: request.width ?? width,
    height: request.height ?? height,
  };
  for (const name of NUMBER_QUERY) if (typeof sized[name] === "number") query.set(name, String(sized[name]));
  if (typeof request.seed === "number") query.set("seed_locked", "1");
  return `?${query.toString()}#/playground`;
}
