import { describe, expect, it } from "vitest";
import { ServingMetrics } from "./metrics.ts";

/** The rules of `promtool check metrics` that a name and its type can break. */
function namingProblems(exposition: string): string[] {
  const problems: string[] = [];
  const helped = new Set([...exposition.matchAll(/^# HELP (\S+) \S/gm)].map((match) => match[1] as string));
  for (const [, name, type] of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const metric = name as string;
    if (!/^[a-z_:][a-z0-9_:]*$/.test(metric)) problems.push(`${metric}: not snake_case`);
    if (!helped.has(metric)) problems.push(`${metric}: no help text`);
    if (type === "counter" && !metric.endsWith("_total"))
      problems.push(`${metric}: a counter without _total`);
    if (type !== "counter" && metric.endsWith("_total")) problems.push(`${metric}: a ${type} named _total`);
  }
  return problems;
}

describe("the backend's /metrics", () => {
  it("keeps Prometheus' naming rules, the default Node.js metrics included", async () => {
    const metrics = new ServingMetrics();
    metrics.requestsTotal.inc({ status: 200 });
    const exposition = await metrics.registry.metrics();
    expect(exposition).toMatch(/^# TYPE sdgate_nodejs_active_handles gauge$/m);
    expect(namingProblems(exposition)).toEqual([]);
  });
});
