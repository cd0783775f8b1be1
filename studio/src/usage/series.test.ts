import type { UsageRow } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import { axisTicks, MAX_SERIES, seriesOf } from "./series.ts";

const row = (group: string | null, period: string, credits: number): UsageRow => ({
  group,
  label: null,
  period,
  requests: 1,
  succeeded: 1,
  failed: 0,
  cache_hits: 0,
  credits,
  mean_latency_ms: null,
  images: 1,
  gpu_seconds: null,
  saved_credits: 0,
  saved_gpu_seconds: null,
});

describe("the chart's series", () => {
  it("puts each group's values in its periods, zero where it had none, biggest first", () => {
    const series = seriesOf(
      [row("a", "2026-12-01", 5), row("b", "2026-12-02", 9), row("a", "2026-12-02", 1)],
      ["2026-12-01", "2026-12-02", "2026-12-03"],
      "model",
      "credits",
    );
    expect(series.map((s) => [s.name, s.values, s.total])).toEqual([
      ["b", [0, 9, 0], 9],
      ["a", [5, 1, 0], 6],
    ]);
  });

  it(`draws the groups past ${MAX_SERIES} together as one`, () => {
    const rows = Array.from({ length: 9 }, (_, i) => row(`m${i}`, "2026-12-01", 100 - i));
    const series = seriesOf(rows, ["2026-12-01"], "model", "credits");
    expect(series).toHaveLength(MAX_SERIES);
    expect(series.at(-1)).toMatchObject({ name: "4 others", other: true, total: 95 + 94 + 93 + 92 });
  });

  it("has round axis ticks that reach the largest value", () => {
    expect(axisTicks(870)).toEqual([0, 200, 400, 600, 800, 1000]);
    expect(axisTicks(3)).toEqual([0, 1, 2, 3]);
    expect(axisTicks(0)).toEqual([0, 1]);
    expect(axisTicks(0.3)).toEqual([0, 0.1, 0.2, 0.3]);
    expect(axisTicks(2, 1)).toEqual([0, 1, 2]);
  });
});
