import type { Estimate, TeamBudgetStatus } from "@sdgate/shared";

const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;

/** The team's monthly budget as it stands, or `null` when it has none. */
function budgetLine(status: TeamBudgetStatus | null): string | null {
  const limit = status?.budget?.monthly_credits;
  if (status === null || limit === null || limit === undefined) return null;
  const left = status.usage.remaining ?? 0;
  return `Team budget: ${left} of ${limit} credits left this month`;
}

/** The money a run's GPU time costs at the server's GPU-hour price, or nothing when it sets none. */
function costText(estimate: Estimate): string {
  if (estimate.cost === null || estimate.gpu_hour_price === null) return "";
  return ` · cost ${estimate.cost.toPrecision(2)} (at ${estimate.gpu_hour_price} per GPU-hour)`;
}

/** Says so when the GPU time comes from a rate the server derived rather than measured (SDXL's, for now). */
function derivedText(estimate: Estimate): string {
  return estimate.timing_source === "fallback" && estimate.rate.estimated
    ? " (estimated rate, not measured)"
    : "";
}

/** What a run would cost before it starts (GPU time and its price, the wait, the credits) and what the team has left. */
export function EstimateLine(props: {
  estimate: Estimate | null;
  error: string | null;
  budget?: TeamBudgetStatus | null;
}) {
  const budget = budgetLine(props.budget ?? null);
  const over =
    budget !== null &&
    props.estimate !== null &&
    props.estimate.credits > (props.budget?.usage.remaining ?? 0);
  return (
    <>
      {budget === null ? null : (
        <p class={over ? "budget over" : "budget"}>
          {budget}
          {over ? " — not enough for this run" : ""}
        </p>
      )}
      <p class="estimate" role="status" aria-label="Estimate">
        {props.error !== null
          ? props.error
          : props.estimate === null
            ? "Write a prompt to see what it costs."
            : `Estimate: ${props.estimate.gpu_seconds.toPrecision(2)} GPU-seconds${derivedText(props.estimate)} · wait ≈ ${seconds(
                props.estimate.expected_wait_ms,
              )}${costText(props.estimate)} · ${props.estimate.credits} credits`}
      </p>
    </>
  );
}
