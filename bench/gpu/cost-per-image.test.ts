import { describe, expect, it } from "vitest";
import { costMarkdown, costRows, type RunResults } from "./cost-per-image.ts";

const H100: RunResults = {
  date: "2026-11-26",
  gpu: "NVIDIA H100 80GB HBM3",
  dtype: "float16",
  sizePx: 512,
  steps: 50,
  rows: [
    {
      provider: "cuda",
      operators: "fused",
      throughput: [
        { batch: 8, imagesPerSecond: 3.486755074881574 },
        { batch: 16, imagesPerSecond: 3.490305204140999 },
      ],
    },
    { provider: "webgpu", operators: "standard", error: "no adapter", throughput: [] },
  ],
};

describe("cost per image", () => {
  it("takes the best measured images/s and prices its GPU-seconds at the GPU-hour price", () => {
    const [row, ...rest] = costRows([H100], 2.69, 0.0036);
    expect(rest).toHaveLength(0); // the failed row is left out
    expect(row).toMatchObject({ architecture: "sd15", batch: 16, path: "loop" });
    expect(row?.gpuSecondsPerImage).toBeCloseTo(1 / 3.490305204140999, 9);
    expect(row?.dollarsPerImage).toBeCloseTo(2.69 / 3600 / 3.490305204140999, 12);
    expect(row?.cheaperBy).toBeCloseTo(0.0036 / (row?.dollarsPerImage ?? 0), 9);
  });

  it("prefers the server's batching path where the run measured it", () => {
    const withEngine: RunResults = {
      ...H100,
      architecture: "sdxl",
      rows: [
        {
          provider: "cuda",
          operators: "fused",
          throughput: [
            { batch: 1, imagesPerSecond: 1, engineImagesPerSecond: 0.9 },
            { batch: 8, imagesPerSecond: 2, engineImagesPerSecond: 1.8 },
          ],
        },
      ],
    };
    const [row] = costRows([withEngine], 3, 0.0036);
    expect(row).toMatchObject({
      architecture: "sdxl",
      path: "generateBatch",
      batch: 8,
      imagesPerSecond: 1.8,
    });
    expect(costMarkdown(row === undefined ? [] : [row], 3, "a stated price", 0.0036)).toContain(
      "| sdxl | NVIDIA H100 80GB HBM3 | 512², 50 |",
    );
    expect(() => costRows([withEngine], 0, 0.0036)).toThrow(/must be positive/);
  });
});
