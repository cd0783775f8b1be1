import type { FleetRuntime } from "./failover.ts";
import { type HealthRpc, HealthView } from "./health.ts";
import type { BackendHealth } from "./health-object.ts";
import { LoadBook } from "./load.ts";
import type { Registry } from "./registry.ts";
import { RetryBudget } from "./retry-policy.ts";

const runtimes = new Map<string, { budgetKey: string; runtime: FleetRuntime }>();

/**
 * This isolate's state for a fleet: its health view (backed by the fleet's `BackendHealth` object),
 * the load its backends reported, and its retry budget. Made once per isolate and fleet; a changed
 * breaker policy applies at once, a changed budget starts a fresh bucket.
 *
 * @example
 * const runtime = fleetRuntime(config.registry, env.BACKEND_HEALTH);
 */
export function fleetRuntime(
  registry: Registry,
  namespace: DurableObjectNamespace<BackendHealth>,
): FleetRuntime {
  const budgetKey = `${registry.retry.budget_ratio}/${registry.retry.budget_burst}/${registry.retry.budget_min_per_second}`;
  const existing = runtimes.get(registry.fleet);
  if (existing) {
    existing.runtime.health.policy = registry.breaker;
    if (existing.budgetKey !== budgetKey) {
      existing.runtime.budget = new RetryBudget(registry.retry);
      existing.budgetKey = budgetKey;
    }
    return existing.runtime;
  }
  // A stub per call: cheap, and never carried from one request's I/O context into another's.
  const rpc = () => namespace.getByName(registry.fleet) as unknown as HealthRpc;
  const runtime: FleetRuntime = {
    health: new HealthView(rpc, registry.breaker),
    load: new LoadBook(),
    budget: new RetryBudget(registry.retry),
  };
  runtimes.set(registry.fleet, { budgetKey, runtime });
  return runtime;
}
