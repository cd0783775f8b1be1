import {
  type Estimate,
  estimateSchema,
  GPU_RATES,
  rateImageSeconds,
  rateStepSeconds,
  stepCostRatio,
} from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import { jobsEnv, request, seedJobKey } from "../test-support/jobs-harness.ts";
import { STREAM_READYZ } from "../test-support/stream-fakes.ts";

async function estimate(
  body: unknown,
  pools: Parameters<typeof jobsEnv>[0] = ["stream"],
  overrides = {},
): Promise<Estimate> {
  const { key } = await seedJobKey();
  const response = await request("POST", "/v1/estimate", key, jobsEnv(pools, overrides), { body });
  expect(response.status).toBe(200);
  return estimateSchema.parse(await response.json());
}

describe("POST /v1/estimate", () => {
  it("prices a request from the step time the backends measured for its model and size", async () => {
    const result = await estimate({ prompt: "a fox", size: "512x512", steps: 10, n: 2 });
    const stepMs = STREAM_READYZ.step_ms.tiny["512x512"];
    expect(result).toMatchObject({ step_ms: stepMs, timing_source: "measured", backends_reporting: 1 });
    // the steps as measured, each image's text encoder and VAE from the rate table
    const gpuSeconds = (stepMs * 10 * 2) / 1000 + 2 * rateImageSeconds("sd1", 512, 512);
    expect(result.gpu_seconds).toBeCloseTo(gpuSeconds, 6);
    expect(result.expected_wait_ms).toBe(STREAM_READYZ.estimated_wait_ms);
    expect(result.expected_total_ms).toBe(Math.round(STREAM_READYZ.estimated_wait_ms + gpuSeconds * 1000));
    // wrangler.toml's example price: 2.50 per GPU-hour.
    expect(result.gpu_hour_price).toBe(2.5);
    expect(result.cost).toBeCloseTo((gpuSeconds / 3600) * 2.5, 8);
    expect(result.credits).toBe(80);
  });

  it("adds hires' second pass: its steps at the final size, which the estimate names", async () => {
    const plain = await estimate({ prompt: "a fox", size: "512x512", steps: 10 });
    const hires = await estimate({ prompt: "a fox", size: "512x512", steps: 10, hires_scale: 2 });
    expect(hires.size).toBe("1024x1024");
    expect(hires.steps).toBe(10 + 7); // trunc(10 × 0.7) at 1024²
    expect(hires.gpu_seconds).toBeGreaterThan(plain.gpu_seconds * 1.7);
    // credits: 512² × 10 = 40, then 1024² × 7 = 112
    expect(hires.credits).toBe(40 + 112);
  });

  it("scales the nearest measured size by pixels when the size was never measured", async () => {
    const result = await estimate({ prompt: "a fox", size: "384x384", steps: 1 });
    // 384² is nearer 256² than 512²: 40 ms × 147456 / 65536.
    expect(result.timing_source).toBe("scaled");
    expect(result.step_ms).toBeCloseTo(90, 6);
  });

  it("falls back to the shared rate table's measured step time when no backend reports timings", async () => {
    // Nothing listens there: no backend's status comes back.
    const result = await estimate({ prompt: "a fox", size: "512x512", steps: 4 }, ["down"]);
    expect(result.timing_source).toBe("fallback");
    expect(result.backends_reporting).toBe(0);
    expect(result.rate).toMatchObject({ architecture: "sd1", estimated: false, gpu: GPU_RATES.sd1.gpu });
    expect(result.step_ms).toBeCloseTo(GPU_RATES.sd1.gpuSecondsPerStep * 1000, 6);
    expect(result.gpu_seconds).toBeCloseTo(
      4 * GPU_RATES.sd1.gpuSecondsPerStep + GPU_RATES.sd1.gpuSecondsPerImage,
      6,
    );
    expect(result.expected_wait_ms).toBe(0);
  });

  it("prices an SDXL model's step, GPU time and credits by the rate table's SDXL rate, and its default size is 1024²", async () => {
    const models = JSON.stringify([{ id: "xl", architecture: "sdxl" }, { id: "sd15" }]);
    const quote = (model: string, size?: string) =>
      estimate({ model, prompt: "a fox", steps: 30, ...(size ? { size } : {}) }, ["down"], {
        SDGATE_MODELS: models,
        SDGATE_GPU_HOUR_PRICE: "3.60",
      });
    const xl = await quote("xl");
    expect(xl.size).toBe("1024x1024");
    // SDXL's row is derived from a FLOP count, and the estimate says so
    expect(xl.rate).toMatchObject({ architecture: "sdxl", estimated: true });
    expect(xl.rate.source).toMatch(/unet-flops/);
    expect(xl.step_ms).toBeCloseTo(rateStepSeconds("sdxl", 1024, 1024) * 1000, 6);
    const xlSmall = await quote("xl", "512x512");
    const sd15 = await quote("sd15", "512x512");
    // per step at the same size, SDXL costs the rate table's ratio of SD 1.5's
    expect(xlSmall.step_ms / sd15.step_ms).toBeCloseTo(stepCostRatio("sdxl"), 3);
    expect(stepCostRatio("sdxl")).toBeGreaterThan(2);
    // and so do its credits: 512² × 30 steps is 120 credits on SD 1.5
    expect(sd15.credits).toBe(120);
    expect(xlSmall.credits).toBe(Math.ceil(120 * stepCostRatio("sdxl")));
    // at 3.60 per GPU-hour, a GPU-second costs 0.001
    expect(xl.cost).toBeCloseTo(xl.gpu_seconds * 0.001, 8);
    expect(xl.gpu_seconds).toBeCloseTo(
      30 * rateStepSeconds("sdxl", 1024, 1024) + rateImageSeconds("sdxl", 1024, 1024),
      6,
    );
  });

  it("counts only the steps img2img runs, and quotes no cost without a configured price", async () => {
    const image = "iVBORw0KGgo=";
    const result = await estimate(
      { prompt: "a fox", size: "256x256", steps: 10, image, strength: 0.5 },
      ["stream"],
      { SDGATE_GPU_HOUR_PRICE: undefined },
    );
    expect(result.steps).toBe(5);
    expect(result.cost).toBeNull();
    expect(result.gpu_hour_price).toBeNull();
  });

  it("names the bad field of a request it cannot estimate", async () => {
    const { key } = await seedJobKey();
    const response = await request("POST", "/v1/estimate", key, jobsEnv(), {
      body: { prompt: "x", steps: 0 },
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { param: string } }).error.param).toBe("steps");
  });
});
