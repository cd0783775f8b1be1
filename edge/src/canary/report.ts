import { log } from "../log.ts";
import type { SplitDraw } from "./active-split.ts";
import { type CanaryWatch, watchName } from "./watch.ts";

/**
 * Tells the alias's watcher how one request on a split went: a 5xx is the version's failure, a
 * success its latency; a 4xx is the request's own doing and says nothing about the version. Never
 * rejects: a watcher that cannot be reached costs the numbers one request, never the request.
 *
 * @example
 * inBackground(c, reportSplitOutcome(config.canaryWatch, served.split, { status: 200, latencyMs }));
 */
export async function reportSplitOutcome(
  watch: DurableObjectNamespace<CanaryWatch>,
  draw: SplitDraw,
  outcome: { status: number; latencyMs: number },
): Promise<void> {
  if (outcome.status < 500 && outcome.status !== 200) return;
  const { split, version, stable } = draw;
  try {
    await watch.getByName(watchName(split.model_id, split.alias)).record({
      split,
      version,
      stable,
      ok: outcome.status === 200,
      latencyMs: outcome.latencyMs,
    });
  } catch (error) {
    log.warn("canary report failed", {
      model: split.model_id,
      alias: split.alias,
      error: (error as Error).name,
    });
  }
}
