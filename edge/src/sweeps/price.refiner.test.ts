import { errorEnvelopeSchema, estimateSchema, type SweepEstimate } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import { jobsEnv, request, seedJobKey } from "../test-support/jobs-harness.ts";

const MODELS = JSON.stringify([
  { id: "xl", architecture: "sdxl" },
  { id: "xl-refiner", architecture: "sdxl-refiner" },
]);
// Nothing listens on "down": prices come from the rate table's figures.
const testEnv = () => jobsEnv(["down"], { SDGATE_MODELS: MODELS });

describe("a sweep whose cells have an SDXL refiner", () => {
  it("prices each cell as POST /v1/estimate prices it, along a refiner switch axis", async () => {
    const { key } = await seedJobKey();
    const cell = { prompt: "a fox", model: "xl", steps: 30, refiner: { model: "xl-refiner" } };
    const post = (path: string, body: object) => request("POST", path, key, testEnv(), { body });
    const estimate = async (body: object) =>
      estimateSchema.parse(await (await post("/v1/estimate", body)).json());
    const [refined, later] = [
      await estimate(cell),
      await estimate({ ...cell, refiner: { model: "xl-refiner", switch_at: 0.9 } }),
    ];
    const grid = await post("/v1/sweeps", {
      request: cell,
      axes: [{ field: "refiner_switch_at", values: [0.8, 0.9] }],
      dry_run: true,
    });
    expect(grid.status).toBe(200);
    const { price } = (await grid.json()) as SweepEstimate;
    expect(price).toMatchObject({ cells: 2, credits: refined.credits + later.credits });
    expect(price.gpu_seconds).toBeCloseTo(refined.gpu_seconds + later.gpu_seconds, 5);
    // where the refiner takes over changes the price: it is counted, not ignored
    expect(later.gpu_seconds).not.toBeCloseTo(refined.gpu_seconds, 5);
  });

  it("names the axis and value of a refiner a cell cannot run, and refiner.model for an unknown one", async () => {
    const { key } = await seedJobKey();
    const hires = await request("POST", "/v1/sweeps", key, testEnv(), {
      body: {
        request: { prompt: "a fox", model: "xl", hires_scale: 1.5 },
        axes: [{ field: "refiner", values: ["xl-refiner"] }],
        dry_run: true,
      },
    });
    expect(hires.status).toBe(400);
    expect(errorEnvelopeSchema.parse(await hires.json()).error).toMatchObject({
      param: "axes.0.values.0",
      message: expect.stringContaining("hires_scale"),
    });

    const response = await request("POST", "/v1/sweeps", key, testEnv(), {
      body: {
        request: { prompt: "a fox", model: "xl", refiner: { model: "nowhere" } },
        axes: [{ field: "seed", values: [1, 2] }],
        dry_run: true,
      },
    });
    expect(response.status).toBe(404);
    expect(errorEnvelopeSchema.parse(await response.json()).error).toMatchObject({
      code: "model_not_found",
      param: "refiner.model",
    });
  });
});
