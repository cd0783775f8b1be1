import {
  USAGE_DETAIL_GROUPS,
  type UsageGroup,
  type UsageInterval,
  type UsageReport,
  type UsageRow,
} from "@sdgate/shared";

/** The periods a person picks from: how far back, and by day or hour. */
export const USAGE_PERIODS = {
  "24h": { title: "Last 24 hours, by hour", interval: "hour", hours: 24 },
  "7d-hour": { title: "Last 7 days, by hour", interval: "hour", hours: 7 * 24 },
  "7d": { title: "Last 7 days, by day", interval: "day", hours: 7 * 24 },
  "30d": { title: "Last 30 days, by day", interval: "day", hours: 30 * 24 },
  "90d": { title: "Last 90 days, by day", interval: "day", hours: 90 * 24 },
} as const satisfies Record<string, { title: string; interval: UsageInterval; hours: number }>;
export type UsagePeriod = keyof typeof USAGE_PERIODS;

/** What the chart counts. `money`: whether a money-only view (the billing role) has it. */
export const USAGE_METRICS = {
  credits: { title: "Credits", money: true },
  images: { title: "Images", money: true },
  requests: { title: "Requests", money: true },
  saved_credits: { title: "Credits saved by the cache", money: true },
  gpu_seconds: { title: "GPU-seconds", money: false },
  failed: { title: "Failed requests", money: false },
} as const satisfies Record<string, { title: string; money: boolean }>;
export type UsageMetric = keyof typeof USAGE_METRICS;

export const GROUP_TITLES: Record<UsageGroup, string> = {
  team: "Team",
  person: "Person",
  key: "Key",
  model: "Model",
  backend: "Backend",
};

/** The dashboard's state, kept in the URL (`#/usage?group_by=model&period=30d&metric=credits&team=…`). */
export interface UsageState {
  groupBy: UsageGroup;
  period: UsagePeriod;
  metric: UsageMetric;
  /** One team's keys; `null`: every team the person may see. */
  teamId: string | null;
}

const isOneOf = <T extends string>(values: readonly T[], value: string | null): value is T =>
  value !== null && (values as readonly string[]).includes(value);

/**
 * The state a URL's query names, with defaults for what it does not, and nothing a money-only
 * person may not see (a grouping by person or backend, GPU-seconds).
 *
 * @example
 * stateOfQuery(new URLSearchParams("group_by=model"), { moneyOnly: false }).groupBy; // "model"
 */
export function stateOfQuery(query: URLSearchParams, options: { moneyOnly: boolean }): UsageState {
  const groups = groupsFor(options.moneyOnly);
  const metrics = metricsFor(options.moneyOnly);
  const groupBy = query.get("group_by");
  const period = query.get("period");
  const metric = query.get("metric");
  const teamId = query.get("team");
  return {
    groupBy: isOneOf(groups, groupBy) ? groupBy : "team",
    period: isOneOf(Object.keys(USAGE_PERIODS) as UsagePeriod[], period) ? period : "30d",
    metric: isOneOf(metrics, metric) ? metric : "credits",
    teamId: teamId !== null && /^team_[0-9a-f]{16}$/.test(teamId) ? teamId : null,
  };
}

/** The URL query of a state (its defaults included, so a shared link shows the same). */
export function queryOfState(state: UsageState): Record<string, string> {
  return {
    group_by: state.groupBy,
    period: state.period,
    metric: state.metric,
    ...(state.teamId === null ? {} : { team: state.teamId }),
  };
}

/** The groupings a person may pick: all of them, or a money view's (no person, no backend). */
export function groupsFor(moneyOnly: boolean): UsageGroup[] {
  const all = Object.keys(GROUP_TITLES) as UsageGroup[];
  return moneyOnly ? all.filter((group) => !USAGE_DETAIL_GROUPS.includes(group)) : all;
}

export function metricsFor(moneyOnly: boolean): UsageMetric[] {
  return (Object.keys(USAGE_METRICS) as UsageMetric[]).filter((m) => !moneyOnly || USAGE_METRICS[m].money);
}

/**
 * `from` and `to` of a period ending now: whole UTC days (or hours) back from the current one, so
 * the first bar is a whole period too.
 *
 * @example
 * rangeOf("7d", new Date("2026-12-06T15:20:00Z")).from; // "2026-11-30T00:00:00.000Z"
 */
export function rangeOf(
  period: UsagePeriod,
  now: Date,
): { from: string; to: string; interval: UsageInterval } {
  const { interval, hours } = USAGE_PERIODS[period];
  const start = new Date(now);
  start.setUTCMinutes(0, 0, 0);
  if (interval === "day") start.setUTCHours(0);
  // Back so that the current period is the last of `hours / 24` days (or `hours` hours).
  const steps = interval === "day" ? hours / 24 - 1 : hours - 1;
  start.setTime(start.getTime() - steps * (interval === "day" ? 86_400_000 : 3_600_000));
  return { from: start.toISOString(), to: now.toISOString(), interval };
}

/**
 * Every period's name from `from` to `to`, as the report names them (`2026-12-06`, `2026-12-06T14`),
 * so periods without any use still get their place on the chart.
 */
export function periodsOf(range: { from: string; to: string; interval: UsageInterval }): string[] {
  const stepMs = range.interval === "day" ? 86_400_000 : 3_600_000;
  const chars = range.interval === "day" ? 10 : 13;
  const periods: string[] = [];
  for (let at = Date.parse(range.from); at < Date.parse(range.to); at += stepMs)
    periods.push(new Date(at).toISOString().slice(0, chars));
  return periods;
}

/** How a group is named for a person: its name, else its id, else what having none means. */
export function groupName(row: Pick<UsageRow, "group" | "label">, groupBy: UsageGroup): string {
  if (row.label !== null && row.label !== "") return row.label;
  if (row.group !== null) return row.group;
  const none: Record<UsageGroup, string> = {
    team: "No team",
    person: "Admin token",
    key: "No key",
    model: "Unknown model",
    backend: "Replay cache",
  };
  return none[groupBy];
}

/** A row's value of a metric (`0` where a money view has none). */
export const metricOf = (row: Omit<UsageRow, "group" | "label" | "period">, metric: UsageMetric): number =>
  row[metric] ?? 0;

/** Failed requests over all requests, `null` when none were made. */
export function errorRate(totals: UsageReport["totals"]): number | null {
  return totals.requests === 0 ? null : totals.failed / totals.requests;
}
