import type { UsageGroup, UsageReport } from "@sdgate/shared";
import { groupName } from "./usage-view.ts";

/**
 * The CSV's columns, in order (documented in docs/studio.md, Usage). A money-only report leaves out
 * the columns it has no numbers for (`gpu_seconds`, `saved_gpu_seconds`, `mean_latency_ms`).
 */
export const CSV_COLUMNS = [
  "period",
  "group_by",
  "group",
  "name",
  "requests",
  "succeeded",
  "failed",
  "cache_hits",
  "images",
  "credits",
  "saved_credits",
  "gpu_seconds",
  "saved_gpu_seconds",
  "mean_latency_ms",
] as const;
const TIME_COLUMNS = new Set<string>(["gpu_seconds", "saved_gpu_seconds", "mean_latency_ms"]);

/** A field as RFC 4180 writes it: quoted when it holds a comma, quote or line break. */
function field(value: string | number | null): string {
  const text = value === null ? "" : String(value);
  // A leading = + - @ would be a formula to a spreadsheet: a name is data, never one.
  const safe = /^[=+\-@]/.test(text) && typeof value === "string" ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/**
 * The report as CSV: a header, then one line per group and period as the report has them, CRLF line
 * ends (RFC 4180).
 *
 * @example
 * usageCsv(report, "model").split("\r\n")[0]; // "period,group_by,group,name,requests,…"
 */
export function usageCsv(report: UsageReport, groupBy: UsageGroup): string {
  const columns = CSV_COLUMNS.filter((column) => report.view === "full" || !TIME_COLUMNS.has(column));
  const lines = [columns.join(",")];
  for (const row of report.data) {
    const values: Record<(typeof CSV_COLUMNS)[number], string | number | null> = {
      ...row,
      group_by: groupBy,
      name: groupName(row, groupBy),
    };
    lines.push(columns.map((column) => field(values[column])).join(","));
  }
  return `${lines.join("\r\n")}\r\n`;
}

/** The CSV's file name: what it reports on and when. */
export function csvFileName(report: UsageReport, groupBy: UsageGroup): string {
  return `sdgate-usage-by-${groupBy}-${report.from.slice(0, 10)}-to-${report.to.slice(0, 10)}.csv`;
}
