import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

describe("plot.ts", () => {
  it("draws a bar per batch of each plain-provider row and leaves option variants out", () => {
    const dir = mkdtempSync(join(tmpdir(), "gpu-plot-"));
    try {
      const row = (provider: string, operators: string, rates: number[]) => ({
        provider,
        operators,
        throughput: rates.map((imagesPerSecond, i) => ({ batch: 2 ** i, imagesPerSecond })),
      });
      const results = {
        gpu: "NVIDIA H100 80GB HBM3",
        rows: [
          row("cuda", "fused", [1.8, 2.7]),
          row("cuda:intra_op_num_threads=0,session.intra_op.allow_spinning=1", "fused", [1.7, 2.6]),
        ],
      };
      writeFileSync(join(dir, "results.json"), JSON.stringify(results));
      const out = join(dir, "plot.svg");
      execFileSync(process.execPath, ["bench/gpu/plot.ts", out, "Throughput", join(dir, "results.json")]);
      const svg = readFileSync(out, "utf8");
      expect(svg).toContain("<title>Throughput</title>");
      expect(svg).toContain(">H100 fused ×1<");
      expect(svg).toContain(">H100 fused ×2<");
      expect(svg.match(/<rect x="170/g)).toHaveLength(2);
      expect(svg).toContain("2.7 img/s");
      expect(svg).not.toContain("2.6 img/s");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
