import { stepCounts } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../errors.ts";
import { loadTiny, testPattern } from "../test-models.ts";
import { upscaleLatents } from "./hires.ts";

describe("hires fix", () => {
  it("upscales latents as torch's bilinear interpolate with align_corners=False", () => {
    const up = upscaleLatents(
      Float32Array.of(1, 2, 3, 4),
      1,
      { height: 2, width: 2 },
      { height: 4, width: 4 },
    );
    // F.interpolate(torch.tensor([[[[1., 2.], [3., 4.]]]]), scale_factor=2, mode="bilinear")
    expect([...up]).toEqual([1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4]);
    // channels stay apart
    const two = upscaleLatents(
      Float32Array.of(0, 0, 0, 0, 8, 8, 8, 8),
      2,
      { height: 2, width: 2 },
      { height: 3, width: 3 },
    );
    expect([...two]).toEqual([...new Array(9).fill(0), ...new Array(9).fill(8)]);
  });

  it("makes the image again at the larger size, reports every step, and records it as A1111 does", async () => {
    const pipeline = await loadTiny();
    try {
      const base = { prompt: "a red fox", width: 64, height: 64, steps: 3, guidanceScale: 7, seed: 4 };
      const steps: [number, number][] = [];
      const result = await pipeline.generate(
        { ...base, hires: { scale: 1.5 } },
        { onProgress: (p) => steps.push([p.step, p.steps]) },
      );
      const image = result.images[0];
      expect([image?.width, image?.height, image?.rgb.length]).toEqual([96, 96, 96 * 96 * 3]);
      // 3 steps, then trunc(3 × 0.7) = 2 at the larger size
      expect(steps).toEqual([
        [1, 5],
        [2, 5],
        [3, 5],
        [4, 5],
        [5, 5],
      ]);
      expect(image?.metadata?.parameters).toMatch(
        /Size: 64x64, .*Denoising strength: 0\.7, Hires upscale: 1\.5, Hires steps: 3, Hires upscaler: Latent/,
      );
      const direct = await pipeline.generate({ ...base, width: 96, height: 96 });
      expect(Buffer.from(direct.images[0]?.rgb ?? []).equals(Buffer.from(image?.rgb ?? []))).toBe(false);
      // batched, it runs alone and gives the same image
      const [outcome] = await pipeline.generateBatch([{ request: { ...base, hires: { scale: 1.5 } } }]);
      expect(
        outcome?.ok && Buffer.from(outcome.result.images[0]?.rgb ?? []).equals(Buffer.from(image?.rgb ?? [])),
      ).toBe(true);
    } finally {
      await pipeline.release();
    }
  });

  it("runs and reports the steps the contract's step counts say, which pricing and estimates use", async () => {
    const pipeline = await loadTiny();
    try {
      const base = { prompt: "a red fox", width: 64, height: 64, guidanceScale: 7, seed: 4 };
      const cases = [
        // 4 steps, then 5 × 0.5 = 2.5, truncated to 2, at 96²
        [
          { ...base, steps: 4, hires: { scale: 1.5, strength: 0.5, steps: 5 } },
          { ...base, steps: 4, strength: null, n: 1, hires: { scale: 1.5, strength: 0.5, steps: 5 } },
        ],
        // 10 × 0.33 = 3.3: 3 steps, never 4
        [
          { ...base, steps: 10, image: testPattern(64, 64), strength: 0.33 },
          { ...base, steps: 10, strength: 0.33, n: 1 },
        ],
      ] as const;
      for (const [request, fields] of cases) {
        const reported: number[] = [];
        await pipeline.generate(request, { onProgress: (p) => reported.push(p.steps) });
        const { stepsPerImage } = stepCounts(fields);
        expect(reported).toEqual(new Array(stepsPerImage).fill(stepsPerImage));
      }
    } finally {
      await pipeline.release();
    }
  });

  it("refuses what cannot work, naming the part", async () => {
    const pipeline = await loadTiny();
    try {
      const base = { prompt: "a", width: 64, height: 64, steps: 2, guidanceScale: 7, seed: 1 };
      const cases = [
        [{ ...base, hires: { scale: 1 } }, "hires.scale"],
        [{ ...base, width: 512, height: 512, hires: { scale: 4 } }, "hires.scale"],
        [{ ...base, hires: { scale: 2, strength: 0.1 } }, "hires.strength"],
        [{ ...base, hires: { scale: 2, steps: 0 } }, "hires.steps"],
        [{ ...base, image: testPattern(64, 64), hires: { scale: 2 } }, "hires.scale"],
      ] as const;
      for (const [request, param] of cases) {
        const error = await pipeline.generate(request).catch((e: unknown) => e);
        expect(error, param).toBeInstanceOf(InvalidArgumentError);
        expect((error as InvalidArgumentError).param).toBe(param);
      }
    } finally {
      await pipeline.release();
    }
    const inpainting = await loadTiny({ family: "sd15-inpaint" });
    try {
      const request = {
        prompt: "a",
        width: 64,
        height: 64,
        steps: 2,
        guidanceScale: 7,
        seed: 1,
        hires: { scale: 2 },
      };
      const error = await inpainting.generate(request).catch((e: unknown) => e);
      expect((error as InvalidArgumentError).param).toBe("hires.scale");
    } finally {
      await inpainting.release();
    }
  });
});
