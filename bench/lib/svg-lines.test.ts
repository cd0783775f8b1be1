import { describe, expect, it } from "vitest";
import { linesSvg } from "./svg-lines.ts";

describe("line chart", () => {
  it("draws one titled polyline per series, scaled into the plot, with a legend", () => {
    const svg = linesSvg("Memory <soak>", "minutes", "MiB", [
      {
        label: "rss",
        points: [
          [0, 100],
          [10, 200],
        ],
      },
      {
        label: "heap",
        points: [
          [0, 20],
          [10, 25],
        ],
      },
    ]);
    expect(svg).toContain("<title>Memory &lt;soak&gt;</title>");
    const lines = [...svg.matchAll(/<polyline[^>]*points="([^"]+)"/g)].map((m) => m[1]?.split(" ") ?? []);
    expect(lines).toHaveLength(2);
    // x 0 → the left edge (60), x 10 → the right (660); the highest y sits below the top (10 % headroom).
    expect(lines[0]?.[0]?.startsWith("60.0,")).toBe(true);
    expect(lines[0]?.[1]?.startsWith("660.0,")).toBe(true);
    const topY = Number(lines[0]?.[1]?.split(",")[1]);
    expect(topY).toBeGreaterThan(40);
    expect(svg).toContain(">rss</text>");
    expect(svg).toContain(">heap</text>");
  });
});
