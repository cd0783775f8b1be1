import type { UsageGroup, UsageRow } from "@sdgate/shared";
import { groupName, metricOf, type UsageMetric } from "./usage-view.ts";

/** One group's values, one per period, for the chart. `group`: the report's group (`null`: none). */
export interface Series {
  /** A stable key for the series: the group, `∅` for none, `…` for the rest together. */
  id: string;
  group: string | null;
  name: string;
  values: number[];
  total: number;
  /** The rest of the groups, summed: it has no single group to open. */
  other: boolean;
}

/** More series than this and the rest are drawn together as one: a legend of 20 colours reads as none. */
export const MAX_SERIES = 6;

/**
 * The chart's series: each group's metric per period (0 where it had none), biggest total first,
 * the groups past {@link MAX_SERIES} summed into one "Other" series.
 *
 * @example
 * seriesOf(report.data, ["2026-12-05", "2026-12-06"], "model", "credits");
 */
export function seriesOf(
  rows: readonly UsageRow[],
  periods: readonly string[],
  groupBy: UsageGroup,
  metric: UsageMetric,
): Series[] {
  const at = new Map(periods.map((period, index) => [period, index]));
  const byGroup = new Map<string, Series>();
  for (const row of rows) {
    const index = at.get(row.period);
    if (index === undefined) continue;
    const id = row.group ?? "∅";
    let series = byGroup.get(id);
    if (series === undefined) {
      series = {
        id,
        group: row.group,
        name: groupName(row, groupBy),
        values: periods.map(() => 0),
        total: 0,
        other: false,
      };
      byGroup.set(id, series);
    }
    const value = metricOf(row, metric);
    series.values[index] = (series.values[index] ?? 0) + value;
    series.total += value;
  }
  const sorted = [...byGroup.values()].sort((a, b) => b.total - a.total || a.name.localeCompare(b.name));
  if (sorted.length <= MAX_SERIES) return sorted;
  const kept = sorted.slice(0, MAX_SERIES - 1);
  const rest = sorted.slice(MAX_SERIES - 1);
  const other: Series = {
    id: "…",
    group: null,
    name: `${rest.length} others`,
    values: periods.map((_, index) => rest.reduce((sum, series) => sum + (series.values[index] ?? 0), 0)),
    total: rest.reduce((sum, series) => sum + series.total, 0),
    other: true,
  };
  return [...kept, other];
}

/**
 * Round numbers for a value axis from 0 to at least `max`: 0, then about 5 steps of 1, 2 or 5 × 10ⁿ,
 * never smaller than `minStep` (1 for counts: no "1.5 images").
 *
 * @example
 * axisTicks(870); // [0, 200, 400, 600, 800, 1000]
 */
export function axisTicks(max: number, minStep = 0): number[] {
  if (!(max > 0)) return [0, 1];
  const rough = max / 5;
  const power = 10 ** Math.floor(Math.log10(rough));
  const round = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  const step = Math.max(round, minStep);
  const ticks: number[] = [];
  for (let tick = 0; tick < max + step; tick += step) ticks.push(Number(tick.toPrecision(12)));
  return ticks;
}
