import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

describe("the device loop's GPU benchmark", () => {
  it("--dry-run measures every lever the CPU has on SD 1.5's architecture (÷8) and checks the loop's numerics", () => {
    const dir = mkdtempSync(join(tmpdir(), "native-loop-"));
    try {
      execFileSync(
        process.execPath,
        ["bench/gpu/native-loop.ts", "--dry-run", "--model", join(dir, "model"), "--out", join(dir, "out")],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      const result = JSON.parse(readFileSync(join(dir, "out", "results.json"), "utf8"));
      expect(result).toMatchObject({ dry: true, sizePx: 64, steps: 3, batches: [1, 2] });
      expect(result.rows.map((row: { lever: string }) => row.lever)).toEqual([
        "host loop, onnxruntime-node (today)",
        "host loop, C API",
        "device loop (IO binding, step graph)",
      ]);
      for (const row of result.rows) {
        expect(row.error).toBeUndefined();
        expect(row.minMs).toBeLessThanOrEqual(row.medianMs);
        expect(row.throughput.map((t: { batch: number }) => t.batch)).toEqual([1, 2]);
      }
      expect(result.rows[0].ratio).toBe(1);
      // the same trajectory as the host loop on the same provider (float32 step math, fp16 UNet)
      expect(result.numerics.maxRelativeDifference).toBeLessThan(1e-4);
      expect(readFileSync(join(dir, "out", "results.md"), "utf8")).toContain(
        "| device loop (IO binding, step graph) |",
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the ep.cuda.* probe says plainly when there is no CUDA provider", () => {
    const output = execFileSync(process.execPath, ["bench/gpu/ep-options-probe.ts"], { encoding: "utf8" });
    expect(output).toMatch(/onnxruntime-node \+ extra ep\.cuda\.\*: session failed/);
  });
});
