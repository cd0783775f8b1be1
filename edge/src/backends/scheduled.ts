import { configFor, type Env } from "../env.ts";
import { log } from "../log.ts";

/**
 * The cron trigger (wrangler.toml `[triggers]`): a backstop for the `BackendHealth` alarm, which
 * stops rescheduling itself when the fleet sees no traffic. Probes every backend of the registry.
 *
 * @example
 * export default { fetch: app.fetch, scheduled: probeOnSchedule };
 */
export async function probeOnSchedule(_controller: ScheduledController, env: Env): Promise<void> {
  const { registry, health } = configFor(env);
  const results = await health.getByName(registry.fleet).probeNow([...registry.pools]);
  const failing = Object.entries(results).filter(([, probe]) => !probe.ok);
  if (failing.length > 0)
    log.warn("backend probes failed", {
      fleet: registry.fleet,
      backends: failing.map(([name]) => name).join(","),
    });
}
