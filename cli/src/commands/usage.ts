import type { UsageQuery, UsageRow } from "@sdgate/sdk";
import { UsageError } from "../io.ts";
import { adminClient, CONNECTION_OPTIONS, parse } from "../options.ts";
import { table } from "../table.ts";
import type { Command } from "./command.ts";

export const USAGE_USAGE = `Usage: sdgate usage [--key <key id>] [--from 2026-11-01] [--to 2026-12-01] [--interval day|hour]
                    [--by <label>] [--json]

Generations per key and day (or hour) from the audit log: requests, succeeded, failed, cache hits,
credits charged, mean latency; then the credits per period as bars. Default: the last 30 days.
--by team groups by the keys' "team" label instead of by key (keys get labels with --label team=…).

  --url <url>            the edge (default: $SDGATE_URL)
  --admin-token <token>  the admin token (default: $SDGATE_ADMIN_TOKEN)`;

/** The widest bar, in characters. */
const BAR_WIDTH = 40;
const EIGHTHS = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];

/** A horizontal bar of `value` out of `max`, in eighths of a character. */
export function bar(value: number, max: number, width = BAR_WIDTH): string {
  if (max <= 0 || value <= 0) return "";
  const eighths = Math.max(1, Math.round((value / max) * width * 8));
  return "█".repeat(Math.floor(eighths / 8)) + (EIGHTHS[eighths % 8] ?? "");
}

/** Credits per period, all keys together: the chart under the table. */
function creditsChart(rows: readonly UsageRow[]): string {
  const byPeriod = new Map<string, number>();
  for (const row of rows) byPeriod.set(row.period, (byPeriod.get(row.period) ?? 0) + row.credits);
  const max = Math.max(0, ...byPeriod.values());
  const width = Math.max(...[...byPeriod.keys()].map((period) => period.length));
  return [...byPeriod]
    .map(([period, credits]) => `${period.padEnd(width)}  ${bar(credits, max)} ${credits}`)
    .join("\n");
}

/** `sdgate usage`: the admin API's usage report as a table and a chart. */
export const usageCommand: Command = {
  summary: "generations and credits per key and day, from the audit log",
  usage: USAGE_USAGE,
  async run(args, io) {
    if (args.includes("--help") || args.includes("-h")) {
      io.out(`${USAGE_USAGE}\n`);
      return;
    }
    const { values, positionals } = parse(args, {
      ...CONNECTION_OPTIONS,
      key: { type: "string" },
      from: { type: "string" },
      to: { type: "string" },
      interval: { type: "string" },
      by: { type: "string" },
    });
    if (positionals.length > 0) throw new UsageError(`Unexpected argument '${positionals[0]}'.`);
    if (values.interval !== undefined && values.interval !== "day" && values.interval !== "hour")
      throw new UsageError(`--interval must be day or hour, got '${values.interval}'.`);
    const client = adminClient(values, io);
    const query: UsageQuery = {};
    if (values.key !== undefined) query.key_id = values.key;
    if (values.from !== undefined) query.from = values.from;
    if (values.to !== undefined) query.to = values.to;
    if (values.interval !== undefined) query.interval = values.interval;
    if (values.by !== undefined) query.group_by = `metadata.${values.by}`;
    const report = await client.usage(query);
    if (values.json) {
      io.out(`${JSON.stringify(report, null, 2)}\n`);
      return;
    }
    io.out(`Generations by ${report.interval}, ${report.from} to ${report.to}\n\n`);
    if (report.data.length === 0) {
      io.out("None.\n");
      return;
    }
    const rows = report.data.map((row) => [
      row.period,
      row.group ?? "(none)",
      String(row.requests),
      String(row.succeeded),
      String(row.failed),
      String(row.cache_hits),
      String(row.credits),
      row.mean_latency_ms === null ? "-" : String(row.mean_latency_ms),
    ]);
    const { totals } = report;
    rows.push([
      "total",
      "",
      String(totals.requests),
      String(totals.succeeded),
      String(totals.failed),
      String(totals.cache_hits),
      String(totals.credits),
      totals.mean_latency_ms === null ? "-" : String(totals.mean_latency_ms),
    ]);
    const groupHeader = report.group_by.startsWith("metadata.")
      ? report.group_by.slice(9).toUpperCase()
      : "KEY";
    const headers = ["PERIOD", groupHeader, "REQUESTS", "OK", "FAILED", "CACHE HITS", "CREDITS", "MEAN MS"];
    io.out(`${table(headers, rows)}\n\nCredits per ${report.interval}:\n${creditsChart(report.data)}\n`);
  },
};
