import { isSdgateApiError, type Sdgate } from "@sdgate/sdk";
import type { SweepSummary } from "@sdgate/shared";
import { useEffect, useState } from "preact/hooks";
import { hrefOf } from "../shell/route.ts";

/** How a sweep stands, in a few words: `3 of 4 done · 1 running`. */
export function progressText(sweep: Pick<SweepSummary, "totals" | "price" | "cancelled_at">): string {
  const { totals, price } = sweep;
  const parts = [`${totals.succeeded} of ${price.cells} done`];
  if (totals.running > 0) parts.push(`${totals.running} running`);
  if (totals.pending > 0) parts.push(`${totals.pending} waiting`);
  if (totals.failed > 0) parts.push(`${totals.failed} failed`);
  if (totals.cancelled > 0) parts.push(`${totals.cancelled} cancelled`);
  if (sweep.cancelled_at !== null) parts.push("sweep cancelled");
  return parts.join(" · ");
}

/** The team's sweeps, newest first, each a link to its grid. */
export function SweepList(props: { client: Sdgate }) {
  const [sweeps, setSweeps] = useState<SweepSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    props.client.sweeps.list().then(
      ({ data }) => setSweeps(data),
      (failure: unknown) => setError(isSdgateApiError(failure) ? failure.message : String(failure)),
    );
  }, [props.client]);
  return (
    <section class="card" aria-labelledby="sweep-list-title">
      <h2 id="sweep-list-title">The team's sweeps</h2>
      {error !== null ? <p role="alert">{error}</p> : null}
      {sweeps === null && error === null ? <p>Loading…</p> : null}
      {sweeps?.length === 0 ? <p>No sweeps yet.</p> : null}
      <ul class="sweep-list">
        {(sweeps ?? []).map((sweep) => (
          <li key={sweep.id}>
            <a href={hrefOf("sweeps", [sweep.id])}>{sweep.name}</a>{" "}
            <span>
              {new Date(sweep.created_at).toLocaleString()} · {progressText(sweep)} · {sweep.price.credits}{" "}
              credits
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
