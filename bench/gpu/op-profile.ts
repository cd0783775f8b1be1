import { stackedBarsSvg } from "../lib/svg-bars.ts";

/**
 * Reading onnxruntime's profile (Chrome trace JSON, `enableProfiling`): where a UNet call's time goes,
 * by operator type and by node. On the CUDA provider a node's `dur` is the time to *launch* its
 * kernels, not to run them; run the process with `CUDA_LAUNCH_BLOCKING=1` and each launch waits for
 * its kernel, so the durations become GPU time (plus a few µs of launch each; compare shares, not sums).
 */

/** One event of the trace: `cat` "Node" for an operator, "Session" for `model_run` and friends. */
export interface TraceEvent {
  cat: string;
  name: string;
  ts: number;
  dur: number;
  args?: { op_name?: string; provider?: string };
}

export interface OpTypeTime {
  opType: string;
  totalUs: number;
  /** Nodes of this type run per UNet call. */
  nodesPerRun: number;
  share: number;
}

export interface NodeTime {
  node: string;
  opType: string;
  meanUs: number;
  share: number;
}

export interface OpProfile {
  runs: number;
  /** Sum of node times per run, µs. */
  nodeUsPerRun: number;
  /** `model_run` wall time per run, µs (median). */
  runUsMedian: number;
  byType: OpTypeTime[];
  topNodes: NodeTime[];
  providers: Record<string, number>;
}

/**
 * Aggregates the node events inside the last `runs` `model_run` spans (earlier ones are warm-up:
 * cuDNN's algorithm search and first allocations would dominate them).
 */
export function summarizeProfile(events: readonly TraceEvent[], runs: number, topN = 15): OpProfile {
  const spans = events
    .filter((e) => e.cat === "Session" && e.name === "model_run")
    .sort((a, b) => a.ts - b.ts)
    .slice(-runs);
  if (spans.length === 0) throw new Error("the profile has no model_run event: was profiling enabled?");
  const inSpan = (e: TraceEvent) => spans.some((s) => e.ts >= s.ts && e.ts <= s.ts + s.dur);
  // `<node>_kernel_time` is the operator itself; `_fence_before/after` are waits around it.
  const nodes = events.filter((e) => e.cat === "Node" && e.name.endsWith("_kernel_time") && inSpan(e));
  const total = nodes.reduce((sum, e) => sum + e.dur, 0);
  const types = new Map<string, { us: number; count: number }>();
  const perNode = new Map<string, { us: number; opType: string }>();
  const providers: Record<string, number> = {};
  for (const e of nodes) {
    const opType = e.args?.op_name ?? "?";
    const type = types.get(opType) ?? { us: 0, count: 0 };
    type.us += e.dur;
    type.count += 1;
    types.set(opType, type);
    const name = e.name.slice(0, -"_kernel_time".length);
    const node = perNode.get(name) ?? { us: 0, opType };
    node.us += e.dur;
    perNode.set(name, node);
    const provider = e.args?.provider ?? "?";
    providers[provider] = (providers[provider] ?? 0) + e.dur / Math.max(1, total);
  }
  const count = spans.length;
  const durations = spans.map((s) => s.dur).sort((a, b) => a - b);
  return {
    runs: count,
    nodeUsPerRun: total / count,
    runUsMedian: durations[Math.floor(durations.length / 2)] ?? 0,
    byType: [...types]
      .map(([opType, t]) => ({
        opType,
        totalUs: t.us / count,
        nodesPerRun: t.count / count,
        share: t.us / total,
      }))
      .sort((a, b) => b.totalUs - a.totalUs),
    topNodes: [...perNode]
      .map(([node, n]) => ({ node, opType: n.opType, meanUs: n.us / count, share: n.us / total }))
      .sort((a, b) => b.meanUs - a.meanUs)
      .slice(0, topN),
    providers,
  };
}

/**
 * One stacked bar of a profile's time by operator: the eight largest, then the rest as "other".
 *
 * @example
 * writeFileSync("profile.svg", profileSvg(profile, "Where one UNet call's time goes", "512² × 16"));
 */
export function profileSvg(profile: Pick<OpProfile, "byType">, title: string, rowName: string): string {
  const shown = profile.byType.slice(0, 8);
  const rest = profile.byType.slice(8).reduce((sum, t) => sum + t.totalUs, 0);
  return stackedBarsSvg(title, "ms", [
    {
      name: rowName,
      segments: [
        ...shown.map((t) => ({ label: t.opType, value: t.totalUs / 1000 })),
        ...(rest > 0 ? [{ label: "other", value: rest / 1000 }] : []),
      ],
    },
  ]);
}
