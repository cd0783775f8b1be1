import { LABEL_NAME, type UsageGroup, type UsageInterval, type UsageRow } from "@sdgate/shared";

export type { UsageInterval, UsageRow };

/** Group by one of the contract's groups, or by one of the keys' metadata labels (`{ label: "team" }`). */
export type UsageGrouping = UsageGroup | { label: string };

/** How many leading characters of an ISO 8601 UTC timestamp name its period. */
const PERIOD_CHARS: Record<UsageInterval, number> = { day: 10, hour: 13 };

/** Each grouping's value and its name, as SQL over `a` (audit_log), `k` (api_keys) and `r` (runs). */
const GROUP_SQL: Record<UsageGroup, { group: string; label: string }> = {
  key: { group: "a.key_id", label: "k.name" },
  team: { group: "k.team_id", label: "(SELECT name FROM teams WHERE id = k.team_id)" },
  person: {
    group: "k.created_by_user_id",
    label: "(SELECT COALESCE(name, email) FROM users WHERE id = k.created_by_user_id)",
  },
  model: { group: "r.model", label: "NULL" },
  backend: { group: "a.backend", label: "NULL" },
};

const HIT = "json_extract(a.detail, '$.cache') = 'HIT'";
/**
 * A run's GPU time, ms: the engine's own measure of it (its stage timings' `total`, which the backend
 * starts when the engine takes the request, so queue wait is not in it) where the run recorded one
 * (migration 0020); else, for runs from before, the time from admission to answer, queue included.
 */
const gpuMsOf = (run: string, audit: string) =>
  `COALESCE(json_extract(${run}.timings_ms, '$.total'), ${audit}.latency_ms)`;
/** A generation a backend ran itself: not a replay, not one that joined another request's job. */
const RAN =
  "a.backend IS NOT NULL AND COALESCE(json_extract(a.detail, '$.cache'), '') NOT IN ('HIT', 'COALESCED')";

export interface UsageReportQuery {
  from: string;
  to: string;
  interval: UsageInterval;
  keyId: string | null;
  /** Only these teams' keys; `null`: every key. */
  teamIds: readonly string[] | null;
  groupBy: UsageGrouping;
}

/**
 * Generations per group and period in [`from`, `to`), from the audit log in D1 (`action =
 * 'generation'`: synchronous requests and async jobs alike, one row each, with the credits the key's
 * ledger charged), joined to each one's run (`runs`, by request or job id) for its model and image
 * count and the GPU time the engine measured. A cache hit's savings are what the run it replayed was charged (the first run of its cache
 * key that a backend answered). Times compare as the ISO 8601 UTC strings the log stores, so a period
 * is a prefix of `at`.
 *
 * @example
 * await usageReport(env.DB, {
 *   from: "2026-11-01T00:00:00.000Z", to: "2026-12-01T00:00:00.000Z",
 *   interval: "day", keyId: null, teamIds: null, groupBy: "model",
 * });
 */
export async function usageReport(db: D1Database, query: UsageReportQuery): Promise<UsageRow[]> {
  const label = typeof query.groupBy === "string" ? null : query.groupBy.label;
  if (label !== null && !LABEL_NAME.test(label)) throw new RangeError(`usageReport: bad label '${label}'`);
  // Keys seeded straight into KV (`npm start`'s) have no D1 row: their label, team and person are null.
  const grouping =
    typeof query.groupBy === "string"
      ? GROUP_SQL[query.groupBy]
      : { group: "json_extract(k.metadata, ?)", label: "NULL" };
  const where = ["a.action = 'generation'", "a.at >= ?", "a.at < ?", "a.key_id IS NOT NULL"];
  const whereBindings: string[] = [query.from, query.to];
  if (query.keyId !== null) {
    where.push("a.key_id = ?");
    whereBindings.push(query.keyId);
  }
  if (query.teamIds !== null) {
    where.push(`k.team_id IN (${query.teamIds.map(() => "?").join(", ") || "NULL"})`);
    whereBindings.push(...query.teamIds);
  }
  const sql = `SELECT ${grouping.group} AS "group", ${grouping.label} AS label,
      substr(a.at, 1, ?) AS period,
      COUNT(*) AS requests,
      SUM(CASE WHEN a.status BETWEEN 200 AND 299 THEN 1 ELSE 0 END) AS succeeded,
      SUM(CASE WHEN a.status >= 400 THEN 1 ELSE 0 END) AS failed,
      SUM(CASE WHEN ${HIT} THEN 1 ELSE 0 END) AS cache_hits,
      COALESCE(SUM(a.cost), 0) AS credits,
      AVG(a.latency_ms) AS mean_latency_ms,
      -- A generation whose run could not be written still made at least one image.
      SUM(CASE WHEN a.status BETWEEN 200 AND 299 THEN COALESCE(json_array_length(r.seeds), 1) ELSE 0 END) AS images,
      COALESCE(SUM(CASE WHEN ${RAN} THEN ${gpuMsOf("r", "a")} END), 0) AS gpu_ms,
      COALESCE(SUM(o.cost), 0) AS saved_credits,
      COALESCE(SUM(${gpuMsOf("o", "o")}), 0) AS saved_gpu_ms
    FROM audit_log a
    LEFT JOIN api_keys k ON k.id = a.key_id
    LEFT JOIN runs r ON r.id = COALESCE(json_extract(a.detail, '$.job_id'), json_extract(a.detail, '$.request_id'))
    LEFT JOIN runs o ON ${HIT} AND o.id = (
      SELECT id FROM runs
      WHERE tenant_tag = r.tenant_tag AND cache_key = r.cache_key
        AND backend IS NOT NULL AND status = 'succeeded' AND cost > 0
      ORDER BY created_at LIMIT 1)
    WHERE ${where.join(" AND ")}
    GROUP BY "group", period
    ORDER BY period, "group"`;
  const bindings: Array<string | number> = [
    ...(label === null ? [] : [`$."${label}"`]),
    PERIOD_CHARS[query.interval],
    ...whereBindings,
  ];
  const { results } = await db
    .prepare(sql)
    .bind(...bindings)
    .all<Omit<UsageRow, "gpu_seconds" | "saved_gpu_seconds"> & { gpu_ms: number; saved_gpu_ms: number }>();
  return results.map(({ gpu_ms, saved_gpu_ms, ...row }) => ({
    ...row,
    mean_latency_ms: row.mean_latency_ms === null ? null : Math.round(row.mean_latency_ms),
    gpu_seconds: gpu_ms / 1000,
    saved_gpu_seconds: saved_gpu_ms / 1000,
  }));
}

type Totals = Omit<UsageRow, "group" | "label" | "period">;

/** The sums of a report's rows (`mean_latency_ms` weighted by requests). */
export function usageTotals(rows: readonly UsageRow[]): Totals {
  const totals = {
    requests: 0,
    succeeded: 0,
    failed: 0,
    cache_hits: 0,
    credits: 0,
    images: 0,
    saved_credits: 0,
  };
  let gpuSeconds = 0;
  let savedGpuSeconds = 0;
  let latencyWeighted = 0;
  let latencyRequests = 0;
  for (const row of rows) {
    for (const name of Object.keys(totals) as Array<keyof typeof totals>) totals[name] += row[name];
    gpuSeconds += row.gpu_seconds ?? 0;
    savedGpuSeconds += row.saved_gpu_seconds ?? 0;
    if (row.mean_latency_ms !== null) {
      latencyWeighted += row.mean_latency_ms * row.requests;
      latencyRequests += row.requests;
    }
  }
  return {
    ...totals,
    mean_latency_ms: latencyRequests === 0 ? null : Math.round(latencyWeighted / latencyRequests),
    // Sums of thousandths, kept to them (no 0.30000000000000004).
    gpu_seconds: Math.round(gpuSeconds * 1000) / 1000,
    saved_gpu_seconds: Math.round(savedGpuSeconds * 1000) / 1000,
  };
}

/**
 * A row as a `money` view shows it: what was charged and for what, without the time it took.
 *
 * @example
 * report.data.map(moneyOnly);
 */
export function moneyOnly<Row extends Totals>(row: Row): Row {
  return { ...row, mean_latency_ms: null, gpu_seconds: null, saved_gpu_seconds: null };
}
