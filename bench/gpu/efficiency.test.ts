import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { efficiencyMarkdown, efficiencyRows } from "./efficiency.ts";
import { sd15UnetFlops } from "./unet-flops.ts";

const type = (opType: string, totalUs: number) => ({ opType, totalUs, nodesPerRun: 1, share: 0 });
const profile = {
  byType: [
    type("NhwcConv", 20_000),
    type("MultiHeadAttention", 10_000),
    type("MatMul", 9_000),
    type("Gemm", 1_000),
    type("GroupNorm", 3_000),
    type("Add", 1_000),
  ],
};

describe("profile efficiency", () => {
  it("reads each kind's time as TFLOP/s against its counted FLOPs, and leaves the rest uncounted", () => {
    const flops = sd15UnetFlops(64);
    const rows = efficiencyRows(profile, { latents: 16, latentPx: 64, peakTflops: 1000 });
    const conv = rows.find((r) => r.kind === "conv");
    expect(conv?.ms).toBe(20);
    expect(conv?.tflops).toBeCloseTo((16 * flops.conv) / 1e12 / 0.02, 6);
    expect(conv?.peakShare).toBeCloseTo((conv?.tflops ?? 0) / 1000, 9);
    const linear = rows.find((r) => r.kind === "linear");
    expect(linear?.operators).toEqual(["MatMul", "Gemm"]);
    expect(linear?.ms).toBe(10);
    const rest = rows.find((r) => r.kind === "rest");
    expect(rest).toEqual({ kind: "rest", operators: ["GroupNorm", "Add"], ms: 4 });
  });

  it("has no rate for a kind the profile never ran, and no share without a peak", () => {
    const rows = efficiencyRows({ byType: [type("NhwcConv", 5_000)] }, { latents: 2, latentPx: 64 });
    expect(rows.find((r) => r.kind === "attention")?.tflops).toBeUndefined();
    expect(rows.find((r) => r.kind === "conv")?.peakShare).toBeUndefined();
    expect(efficiencyMarkdown(rows)).toContain("| attention | – | 0.00 ms |");
  });

  it("prints the table for a recorded profile from the command line", () => {
    const dir = mkdtempSync(join(tmpdir(), "efficiency-"));
    try {
      const file = join(dir, "profile.json");
      writeFileSync(file, JSON.stringify(profile));
      const script = new URL("./efficiency.ts", import.meta.url).pathname;
      const out = execFileSync(process.execPath, [script, file, "--latents", "16"], { encoding: "utf8" });
      expect(out).toMatch(/\| conv \| NhwcConv \| 20\.00 ms \| 7\.10 \| 355 \| 36 % \|/);
      expect(() =>
        execFileSync(process.execPath, [script, file, "--latents", "zero"], { stdio: "pipe" }),
      ).toThrow(/--latents: 'zero'/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
