import { LABEL_NAME, type UsageInterval, type UsageRow } from "@sdgate/shared";

export type { UsageInterval, UsageRow };

/** Group by key, or by one of the keys' metadata labels (`{ label: "team" }`). */
export type UsageGrouping = "key" | { label: string };

/** How many leading characters of an ISO 8601 UTC timestamp name its period. */
const PERIOD_CHARS: Record<UsageInterval, number> = { day: 10, hour: 13 };

/**
 * Generations per key (or per value of a key label) and period in [`from`, `to`), from the audit log
 * in D1 (`action = 'generation'`: synchronous requests and async jobs alike, one row each). Times
 * compare as the ISO 8601 UTC strings the log stores, so a period is a prefix of `at`.
 *
 * @example
 * await usageReport(env.DB, {
 *   from: "2026-11-01T00:00:00.000Z", to: "2026-12-01T00:00:00.000Z",
 *   interval: "day", keyId: null, groupBy: { label: "team" },
 * });
 */
export async function usageReport(
  db: D1Database,
  query: { from: string; to: string; interval: UsageInterval; keyId: string | null; groupBy: UsageGrouping },
): Promise<UsageRow[]> {
  const byKey = query.keyId === null ? "" : "AND a.key_id = ?";
  const label = query.groupBy === "key" ? null : query.groupBy.label;
  if (label !== null && !LABEL_NAME.test(label)) throw new RangeError(`usageReport: bad label '${label}'`);
  // Keys seeded straight into KV (`npm start`'s) have no D1 row: their label is null.
  const group = label === null ? "a.key_id" : "json_extract(k.metadata, ?)";
  const sql = `SELECT ${group} AS "group",
      substr(a.at, 1, ?) AS period,
      COUNT(*) AS requests,
      SUM(CASE WHEN a.status BETWEEN 200 AND 299 THEN 1 ELSE 0 END) AS succeeded,
      SUM(CASE WHEN a.status >= 400 THEN 1 ELSE 0 END) AS failed,
      SUM(CASE WHEN json_extract(a.detail, '$.cache') = 'HIT' THEN 1 ELSE 0 END) AS cache_hits,
      COALESCE(SUM(a.cost), 0) AS credits,
      AVG(a.latency_ms) AS mean_latency_ms
    FROM audit_log a ${label === null ? "" : "LEFT JOIN api_keys k ON k.id = a.key_id"}
    WHERE a.action = 'generation' AND a.at >= ? AND a.at < ? AND a.key_id IS NOT NULL ${byKey}
    GROUP BY "group", period
    ORDER BY period, "group"`;
  const bindings: Array<string | number> = [
    ...(label === null ? [] : [`$."${label}"`]),
    PERIOD_CHARS[query.interval],
    query.from,
    query.to,
  ];
  if (query.keyId !== null) bindings.push(query.keyId);
  const { results } = await db
    .prepare(sql)
    .bind(...bindings)
    .all<UsageRow>();
  return results.map((row) => ({
    ...row,
    mean_latency_ms: row.mean_latency_ms === null ? null : Math.round(row.mean_latency_ms),
  }));
}

/** The sums of a report's rows (`mean_latency_ms` weighted by requests). */
export function usageTotals(rows: readonly UsageRow[]): Omit<UsageRow, "group" | "period"> {
  const totals = { requests: 0, succeeded: 0, failed: 0, cache_hits: 0, credits: 0 };
  let latencyWeighted = 0;
  let latencyRequests = 0;
  for (const row of rows) {
    totals.requests += row.requests;
    totals.succeeded += row.succeeded;
    totals.failed += row.failed;
    totals.cache_hits += row.cache_hits;
    totals.credits += row.credits;
    if (row.mean_latency_ms !== null) {
      latencyWeighted += row.mean_latency_ms * row.requests;
      latencyRequests += row.requests;
    }
  }
  return {
    ...totals,
    mean_latency_ms: latencyRequests === 0 ? null : Math.round(latencyWeighted / latencyRequests),
  };
}
