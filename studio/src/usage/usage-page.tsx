import { isSdgateApiError } from "@sdgate/sdk";
import type { UsageReport } from "@sdgate/shared";
import { useEffect, useState } from "preact/hooks";
import { hrefOf } from "../shell/route.ts";
import type { StudioContext } from "../shell/studio-context.ts";
import { BarChart } from "./bar-chart.tsx";
import { csvFileName, usageCsv } from "./csv.ts";
import { runsHref } from "./drill.ts";
import { seriesOf } from "./series.ts";
import { moneyOnly, readsEveryTeam, usageTeams } from "./usage-scope.ts";
import { UsageTable } from "./usage-table.tsx";
import { type BudgetTile, seconds, UsageTiles, whole } from "./usage-tiles.tsx";
import {
  GROUP_TITLES,
  groupsFor,
  metricsFor,
  periodsOf,
  queryOfState,
  rangeOf,
  stateOfQuery,
  USAGE_METRICS,
  USAGE_PERIODS,
  type UsagePeriod,
  type UsageState,
} from "./usage-view.ts";
import "./usage.css";

const message = (error: unknown) => (isSdgateApiError(error) ? error.message : String(error));

/** Saves text as a file the browser downloads (a real download: the person gets a .csv). */
function download(text: string, fileName: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/**
 * `#/usage`: what the person's teams (or, for an admin, everyone) used: tiles, a chart by day or hour
 * split by team, person, key, model or backend, each group's totals with a link to its runs, and the
 * report as CSV. The billing role gets the money view the edge gives it.
 */
export function UsagePage(props: { studio: StudioContext }) {
  const { principal, session, route } = props.studio;
  const teams = usageTeams(principal);
  const everyTeam = readsEveryTeam(principal);
  // One team of a person's own is theirs to see without choosing.
  const defaultTeam = !everyTeam && teams.length === 1 ? (teams[0]?.id ?? null) : null;
  const fromUrl = stateOfQuery(route.query, { moneyOnly: moneyOnly(principal, route.query.get("team")) });
  const state: UsageState = { ...fromUrl, teamId: fromUrl.teamId ?? defaultTeam };
  const money = moneyOnly(principal, state.teamId);
  const [report, setReport] = useState<UsageReport | null>(null);
  const [budget, setBudget] = useState<BudgetTile>({ none: "loading" });
  const [error, setError] = useState<string | null>(null);
  const [now] = useState(() => new Date());
  const [teamChoices, setTeamChoices] = useState(() =>
    teams.map((team) => ({ id: team.id, name: team.name ?? team.id })),
  );
  const range = rangeOf(state.period, now);

  const change = (next: Partial<UsageState>) => {
    const merged = { ...state, ...next };
    location.replace(
      hrefOf(
        "usage",
        [],
        queryOfState(
          stateOfQuery(new URLSearchParams(queryOfState(merged)), {
            moneyOnly: moneyOnly(principal, merged.teamId),
          }),
        ),
      ),
    );
  };

  useEffect(() => {
    const controller = new AbortController();
    setError(null);
    session
      .usage(
        {
          from: range.from,
          to: range.to,
          interval: range.interval,
          group_by: state.groupBy,
          ...(state.teamId === null ? {} : { team_id: state.teamId }),
        },
        { signal: controller.signal },
      )
      .then(setReport, (failure: unknown) => {
        if (!controller.signal.aborted) setError(message(failure));
      });
    return () => controller.abort();
  }, [session, state.groupBy, state.period, state.teamId, range.from, range.interval]);

  // Whoever reads every team's usage picks from every team; listing them needs members.read, which
  // a global billing role lacks: it keeps its own teams (and the one the URL names) to pick from.
  useEffect(() => {
    if (!everyTeam) return;
    const controller = new AbortController();
    session.teams.list({ signal: controller.signal }).then(
      ({ data }) => setTeamChoices(data.map((team) => ({ id: team.id, name: team.name }))),
      () => undefined,
    );
    return () => controller.abort();
  }, [session, everyTeam]);

  useEffect(() => {
    if (state.teamId === null) {
      setBudget({ none: "choose a team to see its budget" });
      return;
    }
    const controller = new AbortController();
    session.teams.budget(state.teamId, { signal: controller.signal }).then(
      (status) => setBudget({ status }),
      (failure: unknown) => {
        if (!controller.signal.aborted) setBudget({ none: message(failure) });
      },
    );
    return () => controller.abort();
  }, [session, state.teamId]);

  const metric = USAGE_METRICS[state.metric];
  const format = state.metric === "gpu_seconds" ? seconds : whole;
  const periods = periodsOf(range);
  const shown = report !== null && report.group_by === state.groupBy ? report : null;
  return (
    <section class="usage" aria-labelledby="usage-title">
      <h2 id="usage-title">Usage</h2>
      {money ? <p class="muted">Money view: credits and budget only (your billing role).</p> : null}
      <form class="usage-controls" onSubmit={(event) => event.preventDefault()}>
        <div class="usage-field">
          <label for="usage-team">Team</label>
          <select
            id="usage-team"
            value={state.teamId ?? ""}
            onChange={(e) => change({ teamId: e.currentTarget.value || null })}
          >
            <option value="">{everyTeam ? "All teams" : "All my teams"}</option>
            {teamChoices.map((team) => (
              <option key={team.id} value={team.id}>
                {team.name}
              </option>
            ))}
            {state.teamId !== null && !teamChoices.some((team) => team.id === state.teamId) ? (
              <option value={state.teamId}>{state.teamId}</option>
            ) : null}
          </select>
        </div>
        <div class="usage-field">
          <label for="usage-period">Period</label>
          <select
            id="usage-period"
            value={state.period}
            onChange={(e) => change({ period: e.currentTarget.value as UsagePeriod })}
          >
            {Object.entries(USAGE_PERIODS).map(([id, period]) => (
              <option key={id} value={id}>
                {period.title}
              </option>
            ))}
          </select>
        </div>
        <div class="usage-field">
          <label for="usage-group-by">Group by</label>
          <select
            id="usage-group-by"
            value={state.groupBy}
            onChange={(e) => change({ groupBy: e.currentTarget.value as UsageState["groupBy"] })}
          >
            {groupsFor(money).map((group) => (
              <option key={group} value={group}>
                {GROUP_TITLES[group]}
              </option>
            ))}
          </select>
        </div>
        <div class="usage-field">
          <label for="usage-metric">Chart</label>
          <select
            id="usage-metric"
            value={state.metric}
            onChange={(e) => change({ metric: e.currentTarget.value as UsageState["metric"] })}
          >
            {metricsFor(money).map((id) => (
              <option key={id} value={id}>
                {USAGE_METRICS[id].title}
              </option>
            ))}
          </select>
        </div>
        <button
          type="button"
          disabled={shown === null}
          onClick={() => shown && download(usageCsv(shown, state.groupBy), csvFileName(shown, state.groupBy))}
        >
          Download CSV
        </button>
      </form>
      {error !== null ? (
        <p role="alert">{error}</p>
      ) : shown === null ? (
        <p aria-busy="true">Loading usage…</p>
      ) : (
        <>
          <UsageTiles report={shown} budget={budget} />
          <div class="card">
            <BarChart
              title={`${metric.title} by ${GROUP_TITLES[state.groupBy].toLowerCase()}, per ${range.interval}`}
              periods={periods}
              series={seriesOf(shown.data, periods, state.groupBy, state.metric)}
              format={format}
              whole={state.metric !== "gpu_seconds"}
              hrefOf={(series) => (series.other ? null : runsHref(state.groupBy, series.group, shown.view))}
            />
          </div>
          <UsageTable report={shown} groupBy={state.groupBy} />
        </>
      )}
    </section>
  );
}
