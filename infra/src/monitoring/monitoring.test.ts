import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { alertRules } from "./alert-rules.ts";
import { backendDashboard } from "./dashboard.ts";
import { queueDepthQuery } from "./queries.ts";

const rules = alertRules({
  namespace: "sdgate",
  queueSize: 32,
  queueSaturationRatio: 0.8,
  errorRatio: 0.05,
  gpuMemoryRatio: 0.95,
  gpuNamespaceLabel: "exported_namespace",
});
const dashboard = backendDashboard({
  cluster: "aws-use1",
  namespace: "sdgate",
  gpuNamespaceLabel: "exported_namespace",
});
const queries = [
  queueDepthQuery("sdgate"),
  ...(rules.rules ?? []).map((r) => String(r.expr)),
  ...dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)),
];

/** The metric names the backend registers (backend/src/metrics/metrics.ts), read from its source. */
function exportedMetrics(): Set<string> {
  const source = readFileSync(new URL("../../../backend/src/metrics/metrics.ts", import.meta.url), "utf8");
  const names = [...source.matchAll(/name: `\$\{PREFIX\}([a-z_]+)`/g)].map((m) => `sdgate_${m[1]}`);
  return new Set(names);
}

describe("alerts and dashboards", () => {
  it("alert on a backend down, no way in, a saturated queue, errors and GPU memory", () => {
    expect((rules.rules ?? []).map((r) => [r.alert, r.labels?.severity])).toEqual([
      ["SdgateBackendDown", "warning"],
      ["SdgateBackendsAllDown", "critical"],
      ["SdgateTunnelDown", "critical"],
      ["SdgateQueueSaturated", "warning"],
      ["SdgateHighErrorRate", "critical"],
      ["SdgateGpuMemoryHigh", "warning"],
    ]);
    const byName = new Map((rules.rules ?? []).map((r) => [r.alert, String(r.expr)]));
    expect(byName.get("SdgateQueueSaturated")).toContain("* 32) > 0.8");
    expect(byName.get("SdgateHighErrorRate")).toContain('status=~"5.."');
    expect(byName.get("SdgateGpuMemoryHigh")).toContain('DCGM_FI_DEV_FB_USED{exported_namespace="sdgate"}');
  });

  it("only use sdgate_ metrics that the backend exports", () => {
    const exported = exportedMetrics();
    expect(exported.has("sdgate_queue_depth")).toBe(true);
    const used = new Set(queries.flatMap((q) => [...q.matchAll(/\bsdgate_[a-z_]+/g)].map((m) => m[0])));
    expect(used.size).toBeGreaterThan(8);
    for (const metric of used) {
      const base = metric.replace(/_(bucket|sum|count)$/, "");
      expect(exported.has(metric) || exported.has(base), metric).toBe(true);
    }
  });

  it("keep every query's brackets and quotes balanced", () => {
    for (const query of queries) {
      let depth = 0;
      for (const char of query) {
        depth +=
          char === "(" || char === "{" || char === "["
            ? 1
            : char === ")" || char === "}" || char === "]"
              ? -1
              : 0;
        expect(depth, query).toBeGreaterThanOrEqual(0);
      }
      expect(depth, query).toBe(0);
      expect((query.match(/"/g) ?? []).length % 2, query).toBe(0);
    }
  });

  it("lay the dashboard out as a Grafana JSON model with unique panel ids and a Prometheus variable", () => {
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(dashboard.templating.list[0]).toMatchObject({
      name: "datasource",
      type: "datasource",
      query: "prometheus",
    });
    expect(dashboard.panels.map((p) => p.title)).toEqual(
      expect.arrayContaining([
        "Queue depth",
        "Images per second",
        "5xx ratio",
        "GPU utilisation",
        "GPU memory used",
        "Replicas",
      ]),
    );
    expect(JSON.parse(JSON.stringify(dashboard))).toEqual(dashboard);
  });
});
