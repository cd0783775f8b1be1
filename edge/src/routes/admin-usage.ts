import {
  type Principal,
  SdgateError,
  USAGE_DETAIL_GROUPS,
  type UsageGroup,
  type UsageReport,
  type UsageView,
  usageQuerySchema,
} from "@sdgate/shared";
import type { Hono } from "hono";
import { moneyOnly, usageReport, usageTotals } from "../audit/usage.ts";
import type { AppEnv } from "../hono-env.ts";
import { mayEverywhere, mayInTeam } from "../identity/principal.ts";
import { adminAudit, noteAudit } from "../middleware/admin-audit/index.ts";
import { parseQuery } from "./admin-body.ts";
import { teamGuard } from "./admin-teams/team-guard.ts";
import { onOperation } from "./operation.ts";

const DAY_MS = 86_400_000;
/** The longest range one report covers: a year by day, a month by hour. */
const MAX_SPAN_MS = { day: 366 * DAY_MS, hour: 31 * DAY_MS } as const;

/**
 * The teams a caller's report covers (`null`: every key) and what of it they may see. `usage.read`
 * everywhere reads every key (or the one team asked for); a team member reads their teams' keys only,
 * and asking for a team of someone else's is refused. The view is `full` only where the caller may
 * also read the runs themselves (`images.read`) in every team covered; else `money` (the `billing`
 * role): credits and counts, not who or where.
 */
export function usageScope(
  principal: Principal,
  teamId: string | undefined,
): { teamIds: string[] | null; view: UsageView } {
  const fullIn = (teams: readonly string[] | null): UsageView =>
    mayEverywhere(principal, "images.read") ||
    (teams?.every((team) => mayInTeam(principal, "images.read", team)) ?? false)
      ? "full"
      : "money";
  if (mayEverywhere(principal, "usage.read")) {
    const teamIds = teamId === undefined ? null : [teamId];
    return { teamIds, view: fullIn(teamIds) };
  }
  const mine = principal.teams.filter((team) => mayInTeam(principal, "usage.read", team.id)).map((t) => t.id);
  if (teamId !== undefined && !mine.includes(teamId))
    throw new SdgateError("insufficient_scope", "This needs the 'usage.read' permission in that team.", {
      param: "team_id",
    });
  const teamIds = teamId === undefined ? mine : [teamId];
  return { teamIds, view: fullIn(teamIds) };
}

/**
 * `GET /admin/usage?key_id&team_id&from&to&interval&group_by` (admin token, or a person with
 * `usage.read`): generations per key, team, person, model, backend or key label and day (or hour),
 * from the audit log — requests, succeeded, failed, cache hits, images, credits charged, backend
 * seconds, what the cache saved, mean latency — with totals, for chargeback and capacity planning.
 * `from` defaults to 30 days before `to` (default now). A team member sees their teams' keys; a
 * money-only caller sees {@link moneyOnly} rows and may not group by person or backend.
 */
export function registerAdminUsage(app: Hono<AppEnv>): void {
  onOperation(
    app,
    "getUsage",
    teamGuard("getUsage"),
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
      const { teamIds, view } = usageScope(c.var.principal, query.team_id);
      if (view === "money" && USAGE_DETAIL_GROUPS.includes(query.group_by as UsageGroup))
        throw new SdgateError(
          "insufficient_scope",
          `Grouping by ${query.group_by} needs the 'images.read' permission (the billing role sees money only).`,
          { param: "group_by" },
        );
      const keyId = query.key_id ?? null;
      const groupBy = query.group_by.startsWith("metadata.")
        ? { label: query.group_by.slice("metadata.".length) }
        : (query.group_by as UsageGroup);
      const rows = await usageReport(c.var.config.db, {
        from,
        to,
        interval: query.interval,
        keyId,
        teamIds,
        groupBy,
      });
      noteAudit(c, { detail: { rows: rows.length, view } });
      const totals = usageTotals(rows);
      const report: UsageReport = {
        object: "usage",
        interval: query.interval,
        group_by: query.group_by,
        from,
        to,
        key_id: keyId,
        team_ids: teamIds,
        view,
        data: view === "money" ? rows.map(moneyOnly) : rows,
        totals: view === "money" ? moneyOnly(totals) : totals,
      };
      return c.json(report);
    },
  );
}
