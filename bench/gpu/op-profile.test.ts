import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildSd15FullSize } from "../../backend/src/model-builder/sd15-full-size.ts";
import { summarizeProfile, type TraceEvent } from "./op-profile.ts";

const run = (ts: number, dur: number): TraceEvent => ({ cat: "Session", name: "model_run", ts, dur });
const node = (name: string, op: string, ts: number, dur: number): TraceEvent => ({
  cat: "Node",
  name: `${name}_kernel_time`,
  ts,
  dur,
  args: { op_name: op, provider: "CUDAExecutionProvider" },
});

describe("onnxruntime profile summary", () => {
  it("sums the last runs' kernel times by operator and node, leaving warm-up and fences out", () => {
    const events: TraceEvent[] = [
      run(0, 1_000), // warm-up: its 900 µs Conv must not count
      node("conv_a", "Conv", 10, 900),
      run(2_000, 100),
      node("conv_a", "Conv", 2_010, 60),
      node("mha", "MultiHeadAttention", 2_070, 30),
      { cat: "Node", name: "conv_a_fence_before", ts: 2_005, dur: 5 },
      run(3_000, 120),
      node("conv_a", "Conv", 3_010, 70),
      node("mha", "MultiHeadAttention", 3_080, 40),
    ];
    const profile = summarizeProfile(events, 2);
    expect(profile.runs).toBe(2);
    expect(profile.nodeUsPerRun).toBe(100);
    expect(profile.runUsMedian).toBe(120);
    expect(profile.byType).toEqual([
      { opType: "Conv", totalUs: 65, nodesPerRun: 1, share: 0.65 },
      { opType: "MultiHeadAttention", totalUs: 35, nodesPerRun: 1, share: 0.35 },
    ]);
    expect(profile.topNodes[0]).toEqual({ node: "conv_a", opType: "Conv", meanUs: 65, share: 0.65 });
    expect(profile.providers.CUDAExecutionProvider).toBeCloseTo(1);
  });

  it("says so when profiling was not on", () => {
    expect(() => summarizeProfile([node("x", "Conv", 0, 1)], 1)).toThrow(/model_run/);
  });
});

describe("profile-unet.ts", () => {
  it("profiles a UNet call on the CPU and writes the table, the JSON and the picture", async () => {
    const dir = mkdtempSync(join(tmpdir(), "profile-unet-"));
    try {
      await buildSd15FullSize(join(dir, "model"), {
        dtype: "float16",
        operators: "standard",
        widthDivisor: 8,
      });
      const args = ["--model", join(dir, "model"), "--provider", "cpu", "--batch", "1", "--size", "64"];
      execFileSync(
        process.execPath,
        ["bench/gpu/profile-unet.ts", ...args, "--runs", "2", "--out", join(dir, "out")],
        {
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      const profile = JSON.parse(readFileSync(join(dir, "out", "profile.json"), "utf8"));
      expect(profile.runs).toBe(2);
      const share = profile.byType.reduce((sum: number, t: { share: number }) => sum + t.share, 0);
      expect(share).toBeCloseTo(1, 6);
      expect(profile.byType.map((t: { opType: string }) => t.opType)).toContain("Conv");
      expect(readFileSync(join(dir, "out", "profile.md"), "utf8")).toContain("| operator | per run |");
      expect(readFileSync(join(dir, "out", "profile.svg"), "utf8")).toContain("<title>");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
