import type { SweepEstimate } from "@sdgate/shared";

/** The grid's price before it runs, the budget it comes out of, and why it would be refused. */
export function SweepPrice(props: { estimate: SweepEstimate | null; error: string | null }) {
  const { estimate, error } = props;
  if (error !== null)
    return (
      <p class="sweep-price refused" role="status" aria-label="Sweep price">
        {error}
      </p>
    );
  if (estimate === null)
    return (
      <p class="sweep-price" role="status" aria-label="Sweep price">
        Pricing the grid…
      </p>
    );
  const { price, budget_remaining: remaining, refusal } = estimate;
  const budget =
    remaining === null
      ? "no monthly budget limit on your team"
      : `${remaining} credits left of the team's budget`;
  return (
    <div role="status" aria-label="Sweep price">
      <p class="sweep-price">
        {price.cells} cells · {price.credits} credits · {price.gpu_seconds.toPrecision(2)} GPU-seconds ·{" "}
        {budget}
      </p>
      {refusal !== null ? <p class="sweep-price refused">Cannot run: {refusal}</p> : null}
    </div>
  );
}
