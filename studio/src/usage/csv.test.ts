import type { UsageReport } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import { csvFileName, usageCsv } from "./csv.ts";

const report = (view: UsageReport["view"]): UsageReport => ({
  object: "usage",
  interval: "day",
  group_by: "key",
  from: "2026-12-01T00:00:00.000Z",
  to: "2026-12-06T10:00:00.000Z",
  key_id: null,
  team_ids: null,
  view,
  data: [
    {
      group: "key_1",
      label: 'Search, "prod"',
      period: "2026-12-01",
      requests: 3,
      succeeded: 2,
      failed: 1,
      cache_hits: 1,
      credits: 20,
      mean_latency_ms: view === "full" ? 150 : null,
      images: 2,
      gpu_seconds: view === "full" ? 0.4 : null,
      saved_credits: 10,
      saved_gpu_seconds: view === "full" ? 0.1 : null,
    },
    { ...emptyRow(), group: "key_2", label: "=HYPERLINK()" },
  ],
  totals: emptyRow(),
});

function emptyRow() {
  return {
    group: null,
    label: null,
    period: "2026-12-02",
    requests: 0,
    succeeded: 0,
    failed: 0,
    cache_hits: 0,
    credits: 0,
    mean_latency_ms: null,
    images: 0,
    gpu_seconds: null,
    saved_credits: 0,
    saved_gpu_seconds: null,
  };
}

describe("the usage CSV", () => {
  it("has one line per group and period, quoted where a field needs it", () => {
    const lines = usageCsv(report("full"), "key").split("\r\n");
    expect(lines[0]).toBe(
      "period,group_by,group,name,requests,succeeded,failed,cache_hits,images,credits,saved_credits,gpu_seconds,saved_gpu_seconds,mean_latency_ms",
    );
    expect(lines[1]).toBe('2026-12-01,key,key_1,"Search, ""prod""",3,2,1,1,2,20,10,0.4,0.1,150');
    // A name a spreadsheet would run as a formula is written as text.
    expect(lines[2]).toBe("2026-12-02,key,key_2,'=HYPERLINK(),0,0,0,0,0,0,0,,,");
    expect(lines).toHaveLength(4);
  });

  it("leaves out the time columns a money-only report has no numbers for", () => {
    const header = usageCsv(report("money"), "key").split("\r\n")[0];
    expect(header).toBe(
      "period,group_by,group,name,requests,succeeded,failed,cache_hits,images,credits,saved_credits",
    );
    expect(csvFileName(report("money"), "key")).toBe("sdgate-usage-by-key-2026-12-01-to-2026-12-06.csv");
  });
});
