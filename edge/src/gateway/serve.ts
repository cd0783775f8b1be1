import { type BackendGenerateResponse, isSdgateError, SdgateError } from "@sdgate/shared";
import type { Context } from "hono";
import type { CallerLocation } from "../backends/select.ts";
import type { CacheDirective } from "../cache/directive.ts";
import { hotGet, hotPut, memoryGet, memoryPut } from "../cache/hot.ts";
import { tenantOf } from "../cache/key.ts";
import { b64ResponseBody } from "../cache/record.ts";
import { getGeneration, putGeneration } from "../cache/store.ts";
import type { AppEnv } from "../hono-env.ts";
import { log } from "../log.ts";
import {
  type CoalescedOutcome,
  coalescerName,
  markStored,
  type Presence,
  type StoredAnswer,
} from "./coalescer.ts";
import { type FleetRun, type FleetRunOutcome, runOnFleet } from "./fleet-run.ts";

export type CacheStatus = "HIT" | "MISS" | "BYPASS" | "COALESCED";

/** A generation ready to answer with: its `b64_json` body, and who made it when a backend just did. */
export interface Served {
  cache: CacheStatus;
  /** The `b64_json` response body, byte for byte what a replay returns. */
  body: string;
  /** `null` for a replay (no backend was involved in this request). */
  backend: {
    name: string;
    region: string;
    attempts: number;
    /** The fleet's time for the run (ms), and the engine's own part of it as the backend reported. */
    fleetMs: number;
    engineMs: number;
    /** The engine's stage timings as the backend reported them (ms). */
    timingsMs: BackendGenerateResponse["timings_ms"];
  } | null;
}

/** Keeps background work alive after the response; `app.request()` in tests has no ExecutionContext. */
export function inBackground(c: Context<AppEnv>, work: Promise<unknown>): void {
  const guarded = work.catch((error: unknown) => {
    log.error("background work failed", { request_id: c.get("requestId"), error: (error as Error).name });
  });
  try {
    c.executionCtx.waitUntil(guarded);
  } catch {
    // No ExecutionContext: the promise simply runs on.
  }
}

export function callerLocation(c: Context<AppEnv>): CallerLocation {
  const cf = c.req.raw.cf as { colo?: unknown; country?: unknown; continent?: unknown } | undefined;
  const text = (value: unknown) => (typeof value === "string" ? value : undefined);
  return { colo: text(cf?.colo), country: text(cf?.country), continent: text(cf?.continent) };
}

function failure(outcome: Extract<FleetRunOutcome, { ok: false }>, cache: CacheStatus): SdgateError {
  const { code, message, param, attempts, backend, retryAfter } = outcome.error;
  const headers: Record<string, string> = { "X-Attempts": String(attempts), "X-Cache": cache };
  if (backend !== null) headers["X-Backend"] = backend;
  if (retryAfter !== null) headers["Retry-After"] = retryAfter;
  return new SdgateError(code, message, { param, headers });
}

function served(run: FleetRun, outcome: FleetRunOutcome, cache: CacheStatus, store: boolean): Served {
  if (!outcome.ok) throw failure(outcome, cache);
  const body = b64ResponseBody(outcome.record);
  if (store) memoryPut(run.tenantTag, run.cacheKey, body);
  const backend =
    cache === "HIT"
      ? null
      : {
          name: outcome.record.backend,
          region: outcome.region,
          attempts: outcome.attempts,
          fleetMs: outcome.fleetMs,
          engineMs: outcome.record.timings_ms.total,
          timingsMs: outcome.record.timings_ms,
        };
  return { cache, body, backend };
}

/** What the replay cache answered before admission: the body of a hit, or `null` for a miss. */
export interface Replay {
  body: string | null;
  /** The shard's index said "stored" but R2 had nothing: the generation must run and the index forget it. */
  staleIndex: boolean;
}

type Where = { tenantTag: string; cacheKey: string };

/**
 * A stored generation's body: the colo's Cache API, then R2, which fills the Cache API (the lazy
 * copy: only generations that are asked for again get one) and this isolate's memory.
 */
export async function readStored(c: Context<AppEnv>, where: Where): Promise<string | null> {
  const hot = await hotGet(where.tenantTag, where.cacheKey);
  if (hot !== null) return hot;
  const stored = await getGeneration(c.get("config").images, where.tenantTag, where.cacheKey);
  if (stored === null) return null;
  const body = b64ResponseBody(stored);
  inBackground(c, hotPut(where.tenantTag, where.cacheKey, body));
  return body;
}

/**
 * The replay cache's copy of a generation, or a miss: this isolate's memory, then one call to the
 * cache key's coalescer shard, whose index knows whether R2 has it; only a `stored` answer reads the
 * Cache API or R2 ({@link readStored}), so a miss costs one Durable Object call and no storage read.
 * If the shard cannot be reached, it looks in the Cache API and R2 directly. Reads nothing but the
 * cache, so a route may ask before it admits the request: a hit is admitted as a request only, with
 * no reservation.
 *
 * @example
 * const { body } = await lookupReplay(c, { tenantTag, cacheKey });
 */
export async function lookupReplay(c: Context<AppEnv>, where: Where): Promise<Replay> {
  const inMemory = memoryGet(where.tenantTag, where.cacheKey);
  if (inMemory !== null) return { body: inMemory, staleIndex: false };
  let presence: Presence;
  try {
    presence = await c
      .get("config")
      .coalescer.getByName(coalescerName(where.cacheKey))
      .lookup(where.cacheKey);
  } catch (error) {
    log.warn("generation coalescer lookup failed; reading the cache directly", {
      request_id: c.get("requestId"),
      error: error instanceof Error ? error.name : "unknown",
    });
    return { body: await readStored(c, where), staleIndex: false };
  }
  if (presence.state !== "stored") return { body: null, staleIndex: false };
  if (presence.record !== null) {
    const body = b64ResponseBody(presence.record);
    memoryPut(where.tenantTag, where.cacheKey, body);
    return { body, staleIndex: false };
  }
  const body = await readStored(c, where);
  return { body, staleIndex: body === null };
}

/**
 * Runs a generation that the replay cache did not answer ({@link lookupReplay} came back empty, or
 * the client asked to bypass it): with `use`, through the cache key's `GenerationCoalescer` (which
 * runs it on the fleet once for every identical request in flight and stores it); with `refresh`
 * (`Cache-Control: no-cache`) here, overwriting the stored copy (and telling the shard's index); with
 * `skip` (`no-store`) here, keeping nothing. `staleIndex` (from {@link lookupReplay}) makes the shard
 * forget its "stored" entry and run it. A fresh result is kept in this isolate's memory only.
 *
 * @example
 * const result = await serveGeneration(c, run, { linked: false, directive: "use" });
 */
export async function serveGeneration(
  c: Context<AppEnv>,
  request: FleetRun,
  options: { linked: boolean; directive: CacheDirective; staleIndex?: boolean },
): Promise<Served> {
  // The backend's queue takes turns by tenant: without it every synchronous request is `default`.
  const run: FleetRun = { ...request, tenant: tenantOf(c.var.apiKey) };
  const config = c.get("config");
  const { directive } = options;
  if (directive !== "use") {
    const outcome = await runOnFleet(
      run,
      { BACKEND_HEALTH: config.health, SDGATE_HMAC_KEYS: c.env.SDGATE_HMAC_KEYS },
      (work) => inBackground(c, work),
    );
    // A `url` answer links to the stored images, so even `no-store` stores them then.
    const store = directive === "refresh" || options.linked;
    if (store && outcome.ok) {
      const put = putGeneration(config.images, run.tenantTag, run.cacheKey, outcome.record).then(() =>
        markStored(config.coalescer, run.cacheKey, run.requestId),
      );
      if (options.linked) await put;
      else inBackground(c, put);
    }
    return served(run, outcome, "BYPASS", store);
  }
  const shard = config.coalescer.getByName(coalescerName(run.cacheKey));
  let outcome: CoalescedOutcome | StoredAnswer;
  try {
    outcome = await shard.run(run, {
      waitForStore: options.linked,
      forgetStored: options.staleIndex === true,
    });
    if (outcome.cache === "STORED") {
      // Stored since this request's lookup: a hit after all, read like any other.
      const body = await readStored(c, run);
      if (body !== null) return { cache: "HIT", body, backend: null };
      outcome = await shard.run(run, { waitForStore: options.linked, forgetStored: true });
      if (outcome.cache === "STORED") throw new Error("the coalescer answered STORED after forgetting");
    }
  } catch (error) {
    if (isSdgateError(error)) throw error;
    // The coalescer could not be reached (or was reset mid-run): run it here rather than fail.
    log.warn("generation coalescer failed; running the generation in this isolate", {
      request_id: run.requestId,
      error: error instanceof Error ? error.name : "unknown",
    });
    const direct = await runOnFleet(
      run,
      { BACKEND_HEALTH: config.health, SDGATE_HMAC_KEYS: c.env.SDGATE_HMAC_KEYS },
      (work) => inBackground(c, work),
    );
    if (direct.ok) await putGeneration(config.images, run.tenantTag, run.cacheKey, direct.record);
    return served(run, direct, "MISS", true);
  }
  return served(run, outcome, outcome.cache, true);
}
