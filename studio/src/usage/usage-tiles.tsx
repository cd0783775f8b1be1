import type { TeamBudgetStatus, UsageReport } from "@sdgate/shared";
import { errorRate } from "./usage-view.ts";

export const whole = (value: number) => Math.round(value).toLocaleString("en");
export const credits = (value: number) => `${whole(value)} ${Math.round(value) === 1 ? "credit" : "credits"}`;
const hits = (value: number) => `${whole(value)} ${value === 1 ? "cache hit" : "cache hits"}`;
export const seconds = (value: number) =>
  value.toLocaleString("en", { maximumFractionDigits: value < 10 ? 1 : 0 });

/** Where the team's monthly budget stands, or why there is none to show. */
export type BudgetTile = { status: TeamBudgetStatus } | { none: string };

function budgetText(budget: BudgetTile): { value: string; note: string } {
  if ("none" in budget) return { value: "—", note: budget.none };
  const { budget: limit, usage } = budget.status;
  if (limit === null || limit.monthly_credits === null)
    return { value: credits(usage.spent), note: `no limit this month (${usage.month})` };
  const percent = limit.monthly_credits === 0 ? 100 : (usage.spent / limit.monthly_credits) * 100;
  return {
    value: `${Math.round(percent)}%`,
    note: `${whole(usage.spent)} of ${whole(limit.monthly_credits)} credits in ${usage.month}`,
  };
}

/**
 * The report's headline numbers. A money view (the billing role) shows what was charged and saved
 * and the budget; GPU-seconds and the error rate are for those who may read the runs.
 */
export function UsageTiles(props: { report: UsageReport; budget: BudgetTile }) {
  const { totals, view } = props.report;
  const rate = errorRate(totals);
  const budget = budgetText(props.budget);
  const tiles: Array<{ name: string; value: string; note: string }> = [
    { name: "Images", value: whole(totals.images), note: `${whole(totals.requests)} requests` },
    { name: "Credits", value: whole(totals.credits), note: "charged" },
    ...(view === "full"
      ? [
          { name: "GPU-seconds", value: seconds(totals.gpu_seconds ?? 0), note: "on backends" },
          {
            name: "Error rate",
            value: rate === null ? "—" : `${(rate * 100).toFixed(1)}%`,
            note: `${whole(totals.failed)} failed`,
          },
        ]
      : []),
    {
      name: "Cache savings",
      value: credits(totals.saved_credits),
      note:
        view === "full"
          ? `${seconds(totals.saved_gpu_seconds ?? 0)} GPU-seconds, ${hits(totals.cache_hits)}`
          : hits(totals.cache_hits),
    },
    { name: "Budget used", ...budget },
  ];
  return (
    <dl class="usage-tiles">
      {tiles.map((tile) => (
        <div key={tile.name} class="usage-tile">
          <dt>{tile.name}</dt>
          <dd>
            <span class="value">{tile.value}</span>
            <span class="muted">{tile.note}</span>
          </dd>
        </div>
      ))}
    </dl>
  );
}
