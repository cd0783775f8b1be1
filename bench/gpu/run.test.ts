import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { imageTflop, peakTflops } from "./flops.ts";

describe("GPU benchmark", () => {
  it("counts about 83 TFLOP for a 512×512, 50-step CFG image, scaled by pixels and images", () => {
    expect(imageTflop(512, 50)).toBeCloseTo(83, 6);
    expect(imageTflop(1024, 50)).toBeCloseTo(4 * 83, 6);
    expect(imageTflop(512, 50, 4)).toBeCloseTo(4 * 83, 6);
    // SDXL at 1024², 30 steps: 60 UNet passes of 6.76 TFLOP and SD 1.5's VAE decoder at 4× the pixels
    expect(imageTflop(1024, 30, 1, true, "sdxl")).toBeCloseTo(60 * 6.761 + 12, 0);
    expect(peakTflops("NVIDIA H100 80GB HBM3")).toBe(989);
    expect(peakTflops("NVIDIA H200")).toBe(989);
    expect(peakTflops(undefined)).toBeUndefined();
  });

  it("--dry-run builds the ÷8 models, measures CPU latency, steps and throughput, and writes the table and JSON", () => {
    const dir = mkdtempSync(join(tmpdir(), "gpu-bench-"));
    try {
      execFileSync(
        process.execPath,
        ["bench/gpu/run.ts", "--dry-run", "--models", join(dir, "models"), "--out", join(dir, "out")],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      const result = JSON.parse(readFileSync(join(dir, "out", "results.json"), "utf8"));
      expect(result).toMatchObject({ dry: true, sizePx: 64, steps: 3, batches: [1, 2] });
      const [standard, fused] = result.rows;
      expect(standard).toMatchObject({ provider: "cpu", operators: "standard", extrapolated: false });
      expect(standard.step.count).toBe(2 * 3);
      expect(standard.minMs).toBeLessThanOrEqual(standard.medianMs);
      expect(standard.throughput.map((t: { batch: number }) => t.batch)).toEqual([1, 2]);
      // The production path timed beside the bare loop, on the same model and provider.
      expect(standard.engine.medianMs).toBeGreaterThan(0);
      expect(standard.engine.minMs).toBeLessThanOrEqual(standard.engine.medianMs);
      expect(standard.engine.stagesMs.denoise).toBeGreaterThan(0);
      // and every throughput batch again through the server's batching path
      for (const t of standard.throughput) expect(t.engineImagesPerSecond).toBeGreaterThan(0);
      expect(fused.error).toMatch(/need the CUDA provider/);
      const markdown = readFileSync(join(dir, "out", "results.md"), "utf8");
      expect(markdown).toContain("| cpu | standard |");
      expect(markdown).toContain("images/s");
      expect(markdown).toContain("| engine ÷ loop |");
      expect(markdown).toContain("engine images/s (generateBatch)");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("--architecture sdxl --dry-run builds ÷8 SDXL and runs the bare loop with both encoders, text_embeds and time_ids", () => {
    const dir = mkdtempSync(join(tmpdir(), "gpu-bench-sdxl-"));
    try {
      const out = join(dir, "out");
      const flags = ["--architecture", "sdxl", "--dry-run", "--operators", "standard", "--skip-engine"];
      execFileSync(
        process.execPath,
        ["bench/gpu/run.ts", ...flags, "--models", join(dir, "models"), "--out", out],
        {
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      const result = JSON.parse(readFileSync(join(out, "results.json"), "utf8"));
      expect(result).toMatchObject({ architecture: "sdxl", sizePx: 64, steps: 3 });
      expect(result.rows[0]).toMatchObject({ operators: "standard", step: { count: 2 * 3 } });
      expect(result.rows[0].error).toBeUndefined();
      expect(readFileSync(join(out, "results.md"), "utf8")).toMatch(/^SDXL base architecture/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
