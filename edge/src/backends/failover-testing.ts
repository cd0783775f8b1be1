import { Keyring, type ResolvedGenerationRequest, registrySchema } from "@sdgate/shared";
import type { AttemptOutcome } from "./client.ts";
import { generateWithFailover } from "./failover.ts";
import { HealthView, type HeldVersions } from "./health.ts";
import { LoadBook } from "./load.ts";
import { RetryBudget } from "./retry-policy.ts";

/** Two backends of two providers, `ours` first: what the failover tests route over. */
export const TWO_BACKENDS = registrySchema.parse([
  { name: "ours", url: "http://127.0.0.1:9", provider: "a", region: "local", priority: 0 },
  { name: "spare", url: "http://127.0.0.1:10", provider: "b", region: "local", priority: 1 },
]);

/** A backend's successful answer. */
export const SERVED: AttemptOutcome = {
  kind: "ok",
  response: {
    model: "tiny",
    output_format: "png",
    images: [{ seed: 1, width: 8, height: 8, b64: "" }],
    timings_ms: { text_encode: 1, denoise: 1, decode: 1, image_encode: 1, total: 4 },
  },
  load: null,
} as AttemptOutcome;

/**
 * Failover of `request` over {@link TWO_BACKENDS}, whose signed statuses said they hold `held`; each
 * backend answers `answers[name]`, else `otherwise`. The backends called, the health reports made
 * (none expected: not holding something is no failure), the refreshes of what they hold, the result.
 */
export async function failoverOver(
  held: HeldVersions,
  answers: Record<string, AttemptOutcome>,
  request: ResolvedGenerationRequest,
  otherwise: AttemptOutcome,
) {
  const calls: string[] = [];
  const reports: string[] = [];
  let refreshes = 0;
  const health = new HealthView(
    () => ({
      sync: async () => ({ states: {}, probes: {}, versions: held }),
      report: async (name) => {
        reports.push(name);
        throw new Error("a backend not holding some files is not failing");
      },
      takeProbe: async () => true,
      refreshVersions: async () => {
        refreshes += 1;
        return held;
      },
    }),
    TWO_BACKENDS.breaker,
  );
  const result = await generateWithFailover(
    TWO_BACKENDS,
    { health, load: new LoadBook(), budget: new RetryBudget(TWO_BACKENDS.retry) },
    request,
    {
      keyring: new Keyring([{ id: "k1", secret: "s".repeat(40) }]),
      timeoutMs: 1_000,
      requestId: "req_test",
      location: {},
      waitUntil: () => {},
      random: () => 0,
      sleep: async () => {},
      call: async (backend) => {
        calls.push(backend.name);
        return answers[backend.name] ?? otherwise;
      },
    },
  );
  return { calls, reports, refreshes, result };
}
