import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../errors.ts";
import { loadTiny } from "../test-models.ts";
import { applyGuidance } from "./tensor-math.ts";

const { fround } = Math;

describe("guidance over composable prompts (A1111's combine_denoised)", () => {
  it("is the usual formula, bit for bit, with one sub-prompt of weight 1", () => {
    const batched = Float32Array.from({ length: 8 }, (_, i) => Math.sin(i + 1) * 3);
    const old = new Float32Array(4);
    for (let i = 0; i < 4; i++) {
      const u = batched[i] as number;
      old[i] = u + fround(fround(7.5) * fround((batched[4 + i] as number) - u));
    }
    expect(applyGuidance(batched, 7.5)).toEqual(old);
    expect(applyGuidance(batched, 7.5, [1])).toEqual(old);
  });

  it("adds each row's (cond − uncond) · (weight · scale) to the unconditional row, in float32", () => {
    const batched = Float32Array.of(1, 2, 3, 5, 7, 11); // uncond [1, 2], conds [3, 5] and [7, 11]
    // 1 + (3−1)·(0.5·4) + (7−1)·(−0.25·4) = 1 + 4 − 6; 2 + (5−2)·2 + (11−2)·(−1) = 2 + 6 − 9
    expect([...applyGuidance(batched, 4, [0.5, -0.25])]).toEqual([-1, -1]);
  });
});

describe("composable prompts in the pipeline", () => {
  const bytes = (result: { images: { rgb: Uint8Array }[] }) => Buffer.from(result.images[0]?.rgb ?? []);
  const meanDiff = (a: Buffer, b: Buffer) =>
    a.reduce((s, v, i) => s + Math.abs(v - (b[i] as number)), 0) / a.length;

  it("guides towards every sub-prompt by its weight, alone in a batch, and reads AND as text without guidance", async () => {
    const pipeline = await loadTiny();
    try {
      const base = { width: 64, height: 64, steps: 4, guidanceScale: 7, seed: 21 };
      const red = bytes(await pipeline.generate({ ...base, prompt: "a red fox" }));
      const blue = bytes(await pipeline.generate({ ...base, prompt: "a blue fox" }));
      const both = bytes(await pipeline.generate({ ...base, prompt: "a red fox AND a blue fox" }));
      expect(both.equals(red) || both.equals(blue)).toBe(false);
      // weight 0: the second sub-prompt adds nothing (an extra UNet row may round differently)
      const zero = bytes(await pipeline.generate({ ...base, prompt: "a red fox AND a blue fox :0" }));
      expect(meanDiff(zero, red)).toBeLessThan(0.5);
      expect(meanDiff(both, red)).toBeGreaterThan(meanDiff(zero, red));
      // a lone weight guides harder
      const harder = bytes(await pipeline.generate({ ...base, prompt: "a red fox :2" }));
      expect(harder.equals(red)).toBe(false);

      const outcomes = await pipeline.generateBatch([
        { request: { ...base, prompt: "a blue fox" } },
        { request: { ...base, prompt: "a red fox AND a blue fox" } },
      ]);
      const batched = outcomes.map((o) =>
        o.ok ? Buffer.from(o.result.images[0]?.rgb ?? []) : Buffer.alloc(0),
      );
      expect([batched[0]?.equals(blue), batched[1]?.equals(both)]).toEqual([true, true]);

      // without guidance there is nothing to weigh sub-prompts against: the prompt is read whole
      const unguided = { ...base, guidanceScale: 1 };
      const whole = bytes(await pipeline.generate({ ...unguided, prompt: "a red fox AND a blue fox" }));
      expect(
        whole.equals(bytes(await pipeline.generate({ ...unguided, prompt: "a red fox AND a blue fox " }))),
      ).toBe(true);
      expect(whole.equals(bytes(await pipeline.generate({ ...unguided, prompt: "a red fox" })))).toBe(false);
      const error = await pipeline
        .generate({ ...base, prompt: Array.from({ length: 9 }, (_, i) => `fox ${i}`).join(" AND ") })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).param).toBe("prompt");
    } finally {
      await pipeline.release();
    }
  });
});
