import { describe, expect, it } from "vitest";
import { expandSweep, MAX_SWEEP_CELLS, sweepBodySchema } from "./sweeps.ts";

const base = { prompt: "a red cat", size: "64x64", steps: 2 };

describe("expandSweep", () => {
  it("makes every combination, X fastest, with each cell's coordinates", () => {
    const cells = expandSweep(base, [
      { field: "steps", values: [2, 4] },
      { field: "seed", values: [1, 2, 3] },
    ]);
    if (!cells.ok) throw new Error(cells.error.message);
    expect(cells.value).toHaveLength(6);
    expect(cells.value.map((cell) => [cell.request.steps, cell.request.seed])).toEqual([
      [2, 1],
      [4, 1],
      [2, 2],
      [4, 2],
      [2, 3],
      [4, 3],
    ]);
    expect(cells.value[3]?.coordinates).toEqual({ x: 1, y: 1, z: null });
    expect(cells.value[3]?.index).toBe(3);
  });

  it("puts Z outermost and resolves scheduler aliases as the generation schema does", () => {
    const cells = expandSweep(base, [
      { field: "guidance_scale", values: [1, 7] },
      { field: "scheduler", values: ["Euler a", "ddim"] },
      { field: "model", values: ["tiny", "tiny@v1"] },
    ]);
    if (!cells.ok) throw new Error(cells.error.message);
    expect(cells.value).toHaveLength(8);
    expect(cells.value[7]?.coordinates).toEqual({ x: 1, y: 1, z: 1 });
    expect(cells.value[7]?.request).toMatchObject({ model: "tiny@v1", scheduler: "ddim", guidance_scale: 7 });
    expect(cells.value[0]?.request.scheduler).toBe("euler_a");
  });

  it("replaces the searched text in both prompts for Prompt S/R, the first value leaving them as they were", () => {
    const cells = expandSweep({ ...base, negative_prompt: "red blur" }, [
      { field: "prompt_sr", values: ["red", "blue", "green"] },
    ]);
    if (!cells.ok) throw new Error(cells.error.message);
    expect(cells.value.map((cell) => [cell.request.prompt, cell.request.negative_prompt])).toEqual([
      ["a red cat", "red blur"],
      ["a blue cat", "blue blur"],
      ["a green cat", "green blur"],
    ]);
  });

  it("keeps size and width/height from disagreeing", () => {
    const bySize = expandSweep({ ...base, width: 64, height: 64, size: undefined }, [
      { field: "size", values: ["64x128"] },
    ]);
    expect(bySize.ok && bySize.value[0]?.request).toMatchObject({ size: "64x128" });
    expect(bySize.ok && bySize.value[0]?.request.width).toBeUndefined();
    const byWidth = expandSweep(base, [{ field: "width", values: [128] }]);
    expect(byWidth.ok && byWidth.value[0]?.request).toMatchObject({ width: 128, height: 64 });
  });

  it("sets the refiner's model and switch inside each cell's refiner, naming the axis of a bad value", () => {
    const refined = { ...base, model: "xl", refiner: { model: "xl-refiner", switch_by: "steps" } };
    const cells = expandSweep(refined, [
      { field: "refiner_switch_at", values: [0.6, 0.8] },
      { field: "refiner", values: ["xl-refiner", "xl-refiner@v2"] },
    ]);
    if (!cells.ok) throw new Error(cells.error.message);
    expect(cells.value.map((cell) => cell.request.refiner)).toEqual([
      { model: "xl-refiner", switch_at: 0.6, switch_by: "steps" },
      { model: "xl-refiner", switch_at: 0.8, switch_by: "steps" },
      { model: "xl-refiner@v2", switch_at: 0.6, switch_by: "steps" },
      { model: "xl-refiner@v2", switch_at: 0.8, switch_by: "steps" },
    ]);
    const past = expandSweep(refined, [
      { field: "seed", values: [1] },
      { field: "refiner_switch_at", values: [0.5, 1] },
    ]);
    expect(past.ok || past.error).toMatchObject({ param: "axes.1.values.1" });
    // without a refiner in the base, a switch alone names no refiner model
    const alone = expandSweep(base, [{ field: "refiner_switch_at", values: [0.7] }]);
    expect(alone.ok || alone.error).toMatchObject({ param: "axes.0.values.0" });
  });

  it("refuses a value that makes a bad request, naming the axis and the value", () => {
    const cells = expandSweep(base, [
      { field: "seed", values: [1] },
      { field: "steps", values: [2, 0] },
    ]);
    expect(cells.ok).toBe(false);
    if (cells.ok) return;
    expect(cells.error.param).toBe("axes.1.values.1");
    expect(cells.error.message).toContain("steps 0");
    expect(cells.error.message).toContain("'steps'");
  });

  it("refuses a value of the wrong type, an unknown scheduler and a repeated field", () => {
    const wrongType = expandSweep(base, [{ field: "steps", values: ["4"] }]);
    expect(!wrongType.ok && wrongType.error.param).toBe("axes.0.values.0");
    const scheduler = expandSweep(base, [{ field: "scheduler", values: ["euler", "warp"] }]);
    expect(!scheduler.ok && scheduler.error.message).toContain("unknown scheduler 'warp'");
    expect(!scheduler.ok && scheduler.error.param).toBe("axes.0.values.1");
    const repeated = expandSweep(base, [
      { field: "seed", values: [1] },
      { field: "seed", values: [2] },
    ]);
    expect(!repeated.ok && repeated.error.param).toBe("axes.1");
  });

  it("refuses Prompt S/R text that is not in the prompt", () => {
    const cells = expandSweep(base, [{ field: "prompt_sr", values: ["dog", "fox"] }]);
    expect(!cells.ok && cells.error.message).toContain("'dog'");
  });

  it("refuses a bad base request, input images and a grid past the bound", () => {
    const bad = expandSweep({ prompt: "" }, [{ field: "seed", values: [1] }]);
    expect(!bad.ok && bad.error.param).toBe("request.prompt");
    const image = expandSweep({ ...base, image: "AAAA" }, [{ field: "seed", values: [1] }]);
    expect(!image.ok && image.error.param).toBe("request.image");
    const values = Array.from({ length: 21 }, (_, index) => index);
    const big = expandSweep(base, [
      { field: "seed", values },
      { field: "guidance_scale", values },
    ]);
    expect(!big.ok && big.error.message).toContain(`441 cells, more than ${MAX_SWEEP_CELLS}`);
  });
});

describe("sweepBodySchema", () => {
  it("takes one to three axes and refuses unknown fields", () => {
    expect(sweepBodySchema.safeParse({ request: base, axes: [] }).success).toBe(false);
    expect(sweepBodySchema.safeParse({ request: base, axes: [{ field: "lora", values: [1] }] }).success).toBe(
      false,
    );
    const body = { request: base, axes: [{ field: "seed", values: [1] }], dry_run: true, max_credits: 10 };
    expect(sweepBodySchema.parse(body).dry_run).toBe(true);
  });
});
