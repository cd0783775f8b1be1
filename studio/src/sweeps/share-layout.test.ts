import type { Sweep } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import { gridOf } from "./grid.ts";
import { gridShareLayout } from "./share-layout.ts";

const cell = (index: number, x: number, y: number, run: string | null) =>
  ({ index, coordinates: { x, y, z: null }, run_id: run }) as unknown as Sweep["cells"][number];

const SWEEP = {
  axes: [
    { field: "steps", values: [2, 4] },
    { field: "seed", values: [5, 6] },
  ],
  cells: [cell(0, 0, 0, "job_a"), cell(1, 1, 0, "job_b"), cell(2, 0, 1, "job_c"), cell(3, 1, 1, null)],
} as unknown as Pick<Sweep, "axes" | "cells">;

describe("sharing a sweep's grid", () => {
  it("lays out the page as it is shown, with the cells that made a run", () => {
    const shared = gridShareLayout(gridOf(SWEEP, [0, 1]), 0);
    expect(shared).toEqual({
      ok: true,
      layout: {
        kind: "grid",
        x: { label: "Steps", values: ["2", "4"] },
        y: { label: "Seed", values: ["5", "6"] },
        cells: [
          { x: 0, y: 0, run: "job_a" },
          { x: 1, y: 0, run: "job_b" },
          { x: 0, y: 1, run: "job_c" },
        ],
      },
    });
  });

  it("follows swapped axes, and says when nothing ran yet", () => {
    const swapped = gridShareLayout(gridOf(SWEEP, [1, 0]), 0);
    expect(swapped.ok && swapped.layout.kind === "grid" && swapped.layout.x.label).toBe("Seed");
    const none = { ...SWEEP, cells: SWEEP.cells.map((each) => ({ ...each, run_id: null })) };
    expect(gridShareLayout(gridOf(none, [0, 1]), 0)).toEqual({
      ok: false,
      reason: "No cell has finished yet.",
    });
  });
});
