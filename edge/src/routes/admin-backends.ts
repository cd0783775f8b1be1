import type { BackendBreaker, Fleet, ModelArchitecture, ModelInfo } from "@sdgate/shared";
import type { Hono } from "hono";
import type { BreakerState } from "../backends/breaker.ts";
import { fleetRuntime } from "../backends/fleet.ts";
import {
  type Held,
  heldAdapters,
  heldArchitecture,
  heldArchitectures,
  heldVersionsOnly,
} from "../backends/held.ts";
import type { Backend } from "../backends/registry.ts";
import type { AppEnv } from "../hono-env.ts";
import { adminGuard } from "../identity/guard.ts";
import { adminAudit } from "../middleware/admin-audit/index.ts";
import { onOperation } from "./operation.ts";

function isoOrNull(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined || ms <= 0 ? null : new Date(ms).toISOString();
}

function describeBreaker(state: BreakerState | undefined, nowMs: number): BackendBreaker {
  if (!state)
    return { state: "closed", consecutive_failures: 0, last_failure: null, retry_at: null, skip_until: null };
  return {
    state: state.mode,
    consecutive_failures: state.consecutiveFailures,
    window: {
      requests: state.windowRequests,
      failures: state.windowFailures,
      started_at: isoOrNull(state.windowStartMs),
    },
    last_failure: state.lastFailure,
    retry_at: state.mode === "closed" ? null : isoOrNull(state.retryAtMs),
    skip_until: state.skipUntilMs > nowMs ? isoOrNull(state.skipUntilMs) : null,
    updated_at: isoOrNull(state.updatedAtMs),
  };
}

/**
 * The catalog's models whose declared architecture some backend contradicts, with every backend's
 * report of them: the edge sizes and prices them as declared, so the operator should look.
 */
function architectureMismatches(
  catalog: readonly ModelInfo[],
  pools: readonly Backend[],
  held: Readonly<Record<string, Held>>,
): Fleet["architecture_mismatches"] {
  return catalog.flatMap((model) => {
    if (model.detect !== undefined) return [];
    const reported: Record<string, ModelArchitecture> = {};
    for (const { name } of pools) {
      const architecture = heldArchitecture(held[name], model.id);
      if (architecture !== null) reported[name] = architecture;
    }
    return Object.values(reported).some((architecture) => architecture !== model.architecture)
      ? [{ model: model.id, declared: model.architecture, reported }]
      : [];
  });
}

/**
 * `GET /admin/backends` (admin token): the registry as the edge parsed it, each backend's breaker
 * and last active probe and the model versions, adapters and architectures it holds from the
 * fleet's `BackendHealth` object, the load it last reported and the retry budget as this isolate
 * sees them, and the catalog's models whose declared architecture backends contradict.
 */
export function registerAdminBackends(app: Hono<AppEnv>): void {
  onOperation(app, "listBackends", adminGuard("listBackends"), adminAudit("backends.read"), async (c) => {
    const { registry, health, models } = c.var.config;
    const stub = health.getByName(registry.fleet);
    // Registering the pools first makes sure they are being probed, even before any traffic.
    await stub.sync([...registry.pools], registry.breaker, {});
    const shared = await stub.describe();
    const runtime = fleetRuntime(registry, health);
    const nowMs = Date.now();
    const report: Fleet = {
      fleet: registry.fleet,
      engine_version: registry.engineVersion,
      models: registry.modelHashes,
      retry: { ...registry.retry, budget_tokens_here: Number(runtime.budget.tokens.toFixed(2)) },
      breaker: registry.breaker,
      next_probe_at: isoOrNull(shared.nextProbeAtMs),
      backends: registry.pools.map((backend) => {
        const probe = shared.probes[backend.name];
        const load = runtime.load.describe(backend.name);
        const held = shared.versions?.[backend.name];
        return {
          ...backend,
          weight: backend.weight ?? 1,
          breaker: describeBreaker(shared.states[backend.name], nowMs),
          last_probe: probe
            ? {
                at: isoOrNull(probe.atMs),
                ok: probe.ok,
                status: probe.status,
                latency_ms: probe.latencyMs,
                detail: probe.detail,
              }
            : null,
          load: load
            ? {
                queue_depth: load.queueDepth,
                estimated_wait_ms: load.estimatedWaitMs,
                reported_at: isoOrNull(load.atMs),
                in_flight_here: load.inFlight,
              }
            : null,
          versions: held === undefined ? null : heldVersionsOnly(held),
          adapters: held === undefined ? null : heldAdapters(held),
          architectures: held === undefined ? null : heldArchitectures(held),
        };
      }),
      architecture_mismatches: architectureMismatches(models, registry.pools, shared.versions ?? {}),
    };
    return c.json(report);
  });
}
