import { type GenerationResponse, isSdgateError, SdgateError } from "@sdgate/shared";
import type { Context } from "hono";
import type { CallerLocation } from "../backends/select.ts";
import type { AppEnv } from "../hono-env.ts";
import { log } from "../log.ts";
import { type CoalescedOutcome, coalescerName } from "./coalescer.ts";
import type { CacheDirective } from "./directive.ts";
import { hotGet, hotPut } from "./hot.ts";
import { type GenerationJob, type JobOutcome, runJob } from "./job.ts";
import { b64ResponseBody } from "./record.ts";
import { getGeneration, putGeneration } from "./store.ts";

export type CacheStatus = "HIT" | "MISS" | "BYPASS" | "COALESCED";

/** A generation ready to answer with: its `b64_json` body, and who made it when a backend just did. */
export interface Served {
  cache: CacheStatus;
  /** The `b64_json` response body, byte for byte what a replay returns. */
  body: string;
  /** `null` for a replay (no backend was involved in this request). */
  backend: { name: string; region: string; attempts: number } | null;
}

/** Keeps background work alive after the response; `app.request()` in tests has no ExecutionContext. */
export function inBackground(c: Context<AppEnv>, work: Promise<unknown>): void {
  const guarded = work.catch((error: unknown) => {
    log.error("background work failed", { request_id: c.var.requestId, error: (error as Error).name });
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

function failure(outcome: Extract<JobOutcome, { ok: false }>, cache: CacheStatus): SdgateError {
  const { code, message, param, attempts, backend, retryAfter } = outcome.error;
  const headers: Record<string, string> = { "X-Attempts": String(attempts), "X-Cache": cache };
  if (backend !== null) headers["X-Backend"] = backend;
  if (retryAfter !== null) headers["Retry-After"] = retryAfter;
  return new SdgateError(code, message, { param, headers });
}

function served(
  c: Context<AppEnv>,
  job: GenerationJob,
  outcome: JobOutcome,
  cache: CacheStatus,
  store: boolean,
): Served {
  if (!outcome.ok) throw failure(outcome, cache);
  const body = b64ResponseBody(outcome.record);
  if (store) inBackground(c, hotPut(job.tenantTag, job.cacheKey, body));
  const backend =
    cache === "HIT"
      ? null
      : { name: outcome.record.backend, region: outcome.region, attempts: outcome.attempts };
  return { cache, body, backend };
}

/**
 * The replay cache's copy of a generation, or `null`: the hot tier (this isolate's memory, then the
 * colo's Cache API), then R2, which refills the hot tier. Reads nothing but the cache, so a route may
 * ask before it admits the request: a hit is admitted as a request only, with no reservation.
 *
 * @example
 * const body = await lookupReplay(c, { tenantTag, cacheKey });
 */
export async function lookupReplay(
  c: Context<AppEnv>,
  where: { tenantTag: string; cacheKey: string },
): Promise<string | null> {
  const hot = await hotGet(where.tenantTag, where.cacheKey);
  if (hot !== null) return hot;
  const stored = await getGeneration(c.var.config.images, where.tenantTag, where.cacheKey);
  if (stored === null) return null;
  const body = b64ResponseBody(stored);
  inBackground(c, hotPut(where.tenantTag, where.cacheKey, body));
  return body;
}

/**
 * Runs a generation that the replay cache did not answer ({@link lookupReplay} came back empty, or
 * the client asked to bypass it): with `use`, through the cache key's `GenerationCoalescer` (which
 * runs the job once for every identical request in flight and stores it); with `refresh`
 * (`Cache-Control: no-cache`) here, overwriting the stored copy; with `skip` (`no-store`) here,
 * keeping nothing.
 *
 * @example
 * const result = await serveGeneration(c, job, { linked: false, directive: "use" });
 */
export async function serveGeneration(
  c: Context<AppEnv>,
  job: GenerationJob,
  options: { linked: boolean; directive: CacheDirective },
): Promise<Served> {
  const { config } = c.var;
  const { directive } = options;
  if (directive !== "use") {
    const outcome = await runJob(job, { BACKEND_HEALTH: config.health }, (work) => inBackground(c, work));
    // A `url` answer links to the stored images, so even `no-store` stores them then.
    const store = directive === "refresh" || options.linked;
    if (store && outcome.ok) {
      const put = putGeneration(config.images, job.tenantTag, job.cacheKey, outcome.record);
      if (options.linked) await put;
      else inBackground(c, put);
    }
    return served(c, job, outcome, "BYPASS", store);
  }
  let outcome: CoalescedOutcome;
  try {
    outcome = await config.coalescer
      .getByName(coalescerName(job.cacheKey))
      .run(job, { waitForStore: options.linked });
  } catch (error) {
    if (isSdgateError(error)) throw error;
    // The coalescer could not be reached (or was reset mid-job): run the job here rather than fail.
    log.warn("generation coalescer failed; running the job in this isolate", {
      request_id: job.requestId,
      error: error instanceof Error ? error.name : "unknown",
    });
    const direct = await runJob(job, { BACKEND_HEALTH: config.health }, (work) => inBackground(c, work));
    if (direct.ok) await putGeneration(config.images, job.tenantTag, job.cacheKey, direct.record);
    return served(c, job, direct, "MISS", true);
  }
  return served(c, job, outcome, outcome.cache, true);
}

/** The parts of a `b64_json` body that a `url` response needs. */
export function summary(body: string): GenerationResponse {
  return JSON.parse(body) as GenerationResponse;
}
