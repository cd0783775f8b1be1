import { type ModelArchitecture, type ModelInfo, withArchitecture } from "@sdgate/shared";
import { fleetRuntime } from "../backends/fleet.ts";
import type { BackendHealth } from "../backends/health-object.ts";
import type { Registry } from "../backends/registry.ts";
import { log } from "../log.ts";

/** Where backends' reports come from: the fleet and its health object (absent: the catalog alone). */
export interface FleetReports {
  registry?: Registry;
  health?: DurableObjectNamespace<BackendHealth>;
}

/**
 * How old this isolate's copy of what the backends reported may be when a model's architecture is
 * read from it. Routing refreshes the copy every 250 ms; a reader that finds it older (an isolate
 * that only lists models or quotes prices) waits for one sync.
 */
export const REPORTS_MAX_AGE_MS = 10_000;

// One warning per model and disagreement per isolate: a wrong entry would otherwise log every request.
const warned = new Set<string>();

function warnOnce(message: string, fields: { model: string; [field: string]: string }): void {
  const key = `${message}\n${JSON.stringify(fields)}`;
  if (warned.has(key)) return;
  warned.add(key);
  log.warn(message, fields);
}

/**
 * The architecture most backends report (a tie: the one the earliest of them in registry order
 * reports); `null` when none reports one.
 *
 * @example
 * mostReported({ a: "sdxl", b: "sdxl", c: "sd1" }); // "sdxl"
 */
export function mostReported(
  reported: Readonly<Record<string, ModelArchitecture>>,
): ModelArchitecture | null {
  const counts = new Map<ModelArchitecture, number>();
  for (const architecture of Object.values(reported))
    counts.set(architecture, (counts.get(architecture) ?? 0) + 1);
  let best: ModelArchitecture | null = null;
  for (const [architecture, count] of counts)
    if (best === null || count > (counts.get(best) ?? 0)) best = architecture;
  return best;
}

/** The backends' reports for a model whose architecture its catalog entry leaves to them. */
async function reportedFor(
  registry: Registry,
  health: DurableObjectNamespace<BackendHealth>,
  model: string,
  nowMs: number,
): Promise<ModelArchitecture | null> {
  const view = fleetRuntime(registry, health).health;
  await view.syncedWithin(registry.pools, REPORTS_MAX_AGE_MS, nowMs);
  // No backend said anything of the model yet: ask them all now, as routing does for an unheld version.
  if (!registry.pools.some((backend) => view.knowsOf(backend.name, model)))
    await view.refreshVersions(registry.pools, nowMs);
  const reported = view.architecturesOf(registry.pools, model, nowMs);
  const architecture = mostReported(reported);
  if (new Set(Object.values(reported)).size > 1)
    warnOnce("backends disagree on a model's architecture; taking the most reported", {
      model,
      taken: architecture ?? "",
      reported: JSON.stringify(reported),
    });
  return architecture;
}

/**
 * A model's info as every request, estimate and list uses it: the catalog's, with the architecture
 * (and so the default size) that the healthy backends serving it report when its entry names none
 * (`sd1` while none reports one). A declared architecture is kept even when backends report another;
 * that is logged once per isolate and shown in `GET /admin/backends`.
 *
 * @example
 * const info = await effectiveModelInfo(config, findModel(config.models, id) ?? modelInfoSchema.parse({ id }));
 */
export async function effectiveModelInfo(
  fleet: FleetReports,
  info: ModelInfo,
  nowMs: number = Date.now(),
): Promise<ModelInfo> {
  const { registry, health } = fleet;
  if (registry === undefined || health === undefined) return info;
  if (info.detect !== undefined) {
    const reported = await reportedFor(registry, health, info.id, nowMs);
    return reported === null ? info : withArchitecture(info, reported);
  }
  // A declared model: what this isolate already knows is enough to notice a contradiction.
  const reported = fleetRuntime(registry, health).health.architecturesOf(registry.pools, info.id, nowMs);
  if (Object.values(reported).some((architecture) => architecture !== info.architecture))
    warnOnce("a model's declared architecture differs from what backends report; using the declared one", {
      model: info.id,
      declared: info.architecture,
      reported: JSON.stringify(reported),
    });
  return info;
}
