import type { Estimate } from "@sdgate/shared";

const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;

/** What a run would cost before it starts: GPU time, the wait, the credits. */
export function EstimateLine(props: { estimate: Estimate | null; error: string | null }) {
  return (
    <p class="estimate" role="status" aria-label="Estimate">
      {props.error !== null
        ? props.error
        : props.estimate === null
          ? "Write a prompt to see what it costs."
          : `Estimate: ${props.estimate.gpu_seconds.toPrecision(2)} GPU-seconds · wait ≈ ${seconds(
              props.estimate.expected_wait_ms,
            )} · ${props.estimate.credits} credits`}
    </p>
  );
}
