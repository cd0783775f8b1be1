import { describe, expect, it } from "vitest";
import { COLOURS, stackedBarsSvg } from "./svg-bars.ts";

const attribute = (svg: string, pattern: RegExp) => [...svg.matchAll(pattern)].map((m) => Number(m[1]));

describe("stacked bars", () => {
  it("wraps a long legend inside the picture and grows to hold it", () => {
    const labels = Array.from({ length: 10 }, (_, i) => `SkipLayerNormalization${i}`);
    const svg = stackedBarsSvg("t", "ms", [
      { name: "row", segments: labels.map((label) => ({ label, value: 1 })) },
    ]);
    const width = Number(svg.match(/<svg [^>]*width="(\d+)"/)?.[1]);
    const height = Number(svg.match(/<svg [^>]*height="(\d+)"/)?.[1]);
    const legendXs = attribute(svg, /<rect x="(\d+)" y="\d+" width="12"/g);
    const legendYs = attribute(svg, /<rect x="\d+" y="(\d+)" width="12"/g);
    expect(legendXs).toHaveLength(10);
    for (const x of legendXs)
      expect(x + 28 + "SkipLayerNormalization0".length * 7.5).toBeLessThanOrEqual(width);
    expect(new Set(legendYs).size).toBeGreaterThan(1);
    expect(Math.max(...legendYs) + 12).toBeLessThanOrEqual(height);
  });

  it("gives ten series ten colours", () => {
    expect(new Set(COLOURS).size).toBe(10);
    const svg = stackedBarsSvg("t", "ms", [
      { name: "row", segments: COLOURS.map((_, i) => ({ label: `s${i}`, value: 1 })) },
    ]);
    const fills = [...svg.matchAll(/<rect x="[\d.]+" y="35" [^>]*fill="(#[0-9a-f]+)"/g)].map((m) => m[1]);
    expect(new Set(fills).size).toBe(10);
  });
});
