import type { Keyring, ResolvedGenerationRequest } from "@sdgate/shared";

const GENERATE = "/internal/v1/generate";
/** The name the benchmark's backends run under (`SDGATE_BACKEND_NAME`): every call is signed for it. */
export const BENCH_BACKEND_NAME = "bench";

export interface Outcome {
  status: number;
  latencyMs: number;
  endMs: number;
}

/** Sends one signed generate call; SSE when `stream`, read to its end. `cancelAfterMs` aborts it (a client that leaves). */
export async function generate(
  url: string,
  keyring: Keyring,
  request: ResolvedGenerationRequest,
  options: { tenant?: string; stream?: boolean; cancelAfterMs?: number } = {},
): Promise<Outcome> {
  const body = JSON.stringify(request);
  const context: Record<string, string> = options.tenant ? { "x-sdgate-tenant": options.tenant } : {};
  const headers = {
    ...(await keyring.sign({
      method: "POST",
      path: GENERATE,
      body,
      headers: context,
      audience: BENCH_BACKEND_NAME,
    })),
    "content-type": "application/json",
    ...context,
    ...(options.stream ? { accept: "text/event-stream" } : {}),
  };
  const startedMs = performance.now();
  const signal =
    options.cancelAfterMs === undefined
      ? AbortSignal.timeout(120_000)
      : AbortSignal.timeout(options.cancelAfterMs);
  try {
    const response = await fetch(`${url}${GENERATE}`, { method: "POST", body, headers, signal });
    const text = await response.text();
    const status = options.stream && response.ok && !text.includes("event: result") ? 599 : response.status;
    return { status, latencyMs: performance.now() - startedMs, endMs: performance.now() };
  } catch {
    return { status: 0, latencyMs: performance.now() - startedMs, endMs: performance.now() };
  }
}

/**
 * Open-loop load: arrivals as a Poisson process at `ratePerS` for `seconds` (what clients do; a
 * closed loop would hide queueing), then waits for every request to end.
 */
export async function offerLoad(
  ratePerS: number,
  seconds: number,
  send: (i: number) => Promise<Outcome>,
  onDone?: () => void,
): Promise<{ outcomes: Outcome[]; startMs: number }> {
  const startMs = performance.now();
  const pending: Promise<Outcome>[] = [];
  let atMs = 0;
  for (let i = 0; ; i++) {
    atMs += (-Math.log(1 - Math.random()) / ratePerS) * 1000;
    if (atMs > seconds * 1000) break;
    const waitMs = startMs + atMs - performance.now();
    if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
    pending.push(
      send(i).then((outcome) => {
        onDone?.();
        return outcome;
      }),
    );
  }
  return { outcomes: await Promise.all(pending), startMs };
}
