import type { Sweep, SweepCellView } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import { gridOf, layoutOf, playgroundHrefOf, swapped } from "./grid.ts";

function cell(index: number, x: number, y: number | null): SweepCellView {
  return {
    index,
    coordinates: { x, y, z: null },
    request: { prompt: "a cat" },
    status: "succeeded",
    job_id: `job_${index}`,
    run_id: null,
    error_code: null,
    cost: 1,
    images: [],
  };
}

const sweep: Pick<Sweep, "axes" | "cells"> = {
  axes: [
    { field: "steps", values: [2, 4, 8] },
    { field: "prompt_sr", values: ["cat", "dog"] },
  ],
  cells: [cell(0, 0, 0), cell(1, 1, 0), cell(2, 2, 0), cell(3, 0, 1), cell(4, 1, 1), cell(5, 2, 1)],
};

describe("gridOf", () => {
  it("puts the first axis across and the second down, labelling each value", () => {
    const grid = gridOf(sweep, [0, 1]);
    expect(grid.columns.map((heading) => heading.label)).toEqual(["Steps: 2", "Steps: 4", "Steps: 8"]);
    expect(grid.rows.map((heading) => heading.label)).toEqual(["“cat”", "“dog”"]);
    expect(grid.pages).toHaveLength(1);
    expect(grid.cellAt(0, 1, 2)?.index).toBe(5);
  });

  it("swaps X and Y: the same cells, transposed", () => {
    const grid = gridOf(sweep, swapped([0, 1]));
    expect(grid.columns).toHaveLength(2);
    expect(grid.rows).toHaveLength(3);
    expect(grid.cellAt(0, 2, 1)?.index).toBe(5);
    expect(grid.cellAt(0, 0, 1)?.index).toBe(3);
  });
});

describe("layoutOf", () => {
  it("reads a layout from the URL and falls back to the sweep's order for a wrong one", () => {
    expect(layoutOf(new URLSearchParams("axes=1,0"), 2)).toEqual([1, 0]);
    expect(layoutOf(new URLSearchParams("axes=1,1"), 2)).toEqual([0, 1]);
    expect(layoutOf(new URLSearchParams("axes=2,0,1"), 3)).toEqual([2, 0, 1]);
    expect(layoutOf(new URLSearchParams(""), 3)).toEqual([0, 1, 2]);
  });
});

describe("playgroundHrefOf", () => {
  it("opens the playground with the cell's request and its seed kept", () => {
    const href = playgroundHrefOf({ prompt: "a cat", size: "64x128", steps: 4, seed: 9, scheduler: "ddim" });
    expect(href.endsWith("#/playground")).toBe(true);
    const query = new URLSearchParams(href.slice(1, href.indexOf("#")));
    expect(Object.fromEntries(query)).toEqual({
      prompt: "a cat",
      scheduler: "ddim",
      width: "64",
      height: "128",
      steps: "4",
      seed: "9",
      seed_locked: "1",
    });
  });
});
