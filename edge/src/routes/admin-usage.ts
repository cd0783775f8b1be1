import { SdgateError, type UsageReport, usageQuerySchema } from "@sdgate/shared";
import type { Hono } from "hono";
import { usageReport, usageTotals } from "../audit/usage.ts";
import type { AppEnv } from "../hono-env.ts";
import { adminGuard } from "../identity/guard.ts";
import { adminAudit, noteAudit } from "../middleware/admin-audit/index.ts";
import { parseQuery } from "./admin-body.ts";
import { onOperation } from "./operation.ts";

const DAY_MS = 86_400_000;
/** The longest range one report covers: a year by day, a month by hour. */
const MAX_SPAN_MS = { day: 366 * DAY_MS, hour: 31 * DAY_MS } as const;

/**
 * `GET /admin/usage?key_id&from&to&interval&group_by` (admin token): generations per key (or, with
 * `group_by=metadata.team`, per value of that label of the keys) and day (or hour) from the audit log —
 * requests, succeeded, failed, cache hits, credits charged, mean latency — with totals, for chargeback
 * and capacity planning. `from` defaults to 30 days before `to` (default now).
 */
export function registerAdminUsage(app: Hono<AppEnv>): void {
  onOperation(
    app,
    "getUsage",
    adminGuard("getUsage"),
    adminAudit("usage.read", { key: "query" }),
    async (c) => {
      const query = parseQuery(c, usageQuerySchema);
      const to = query.to ?? new Date().toISOString();
      const from = query.from ?? new Date(Date.parse(to) - 30 * DAY_MS).toISOString();
      if (Date.parse(from) >= Date.parse(to)) {
        throw new SdgateError("invalid_request", "Invalid 'from': it must be before 'to'.", {
          param: "from",
        });
      }
      if (Date.parse(to) - Date.parse(from) > MAX_SPAN_MS[query.interval]) {
        throw new SdgateError(
          "invalid_request",
          `Invalid 'from': one report by ${query.interval} covers at most ${query.interval === "day" ? "366 days" : "31 days"}.`,
          { param: "from" },
        );
      }
      const keyId = query.key_id ?? null;
      const groupBy = query.group_by === "key" ? "key" : { label: query.group_by.slice("metadata.".length) };
      const data = await usageReport(c.var.config.db, { from, to, interval: query.interval, keyId, groupBy });
      noteAudit(c, { detail: { rows: data.length } });
      const report: UsageReport = {
        object: "usage",
        interval: query.interval,
        group_by: query.group_by,
        from,
        to,
        key_id: keyId,
        data,
        totals: usageTotals(data),
      };
      return c.json(report);
    },
  );
}
