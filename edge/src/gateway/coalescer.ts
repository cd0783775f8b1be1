import { DurableObject } from "cloudflare:workers";
import type { GenerationRecord } from "../cache/record.ts";
import { putGeneration } from "../cache/store.ts";
import { StoredIndex } from "../cache/stored-index.ts";
import { log } from "../log.ts";
import { cacheRetentionMs } from "../retention.ts";
import { type FleetRun, type FleetRunBindings, type FleetRunOutcome, runOnFleet } from "./fleet-run.ts";

/** How a coalescer answered: it ran the generation, joined one in flight, or still held a finished one. */
export type CoalescedOutcome = FleetRunOutcome & { cache: "MISS" | "COALESCED" | "HIT" };

/**
 * {@link GenerationCoalescer.run}'s answer when its index says R2 has the generation (it was stored
 * after the caller's {@link GenerationCoalescer.lookup}): the caller reads it from R2, nothing ran.
 */
export interface StoredAnswer {
  cache: "STORED";
}

/**
 * What {@link GenerationCoalescer.lookup} knows of a cache key: `stored` in R2 (with the record itself
 * while the shard still holds it, so the caller reads nothing), `running` (a run is in flight or its
 * result is being stored: joining it is a miss to admit), or `absent`.
 */
export type Presence =
  | { state: "stored"; record: GenerationRecord | null }
  | { state: "running" }
  | { state: "absent" };

/** A finished result stays in memory this long after it is stored, for requests that raced the store. */
export const RECENT_GRACE_MS = 10_000;
/** The most image bytes (base64) one shard keeps for {@link RECENT_GRACE_MS}; the oldest go first. */
export const MAX_RECENT_B64_CHARS = 64 * 2 ** 20;

export interface RunOptions {
  /** Answer only once the images are in R2 (a `url` response links to them). */
  waitForStore: boolean;
  /**
   * The caller found no R2 object where the index said "stored": forget the key and run it,
   * instead of answering {@link StoredAnswer} again.
   */
  forgetStored: boolean;
}

/**
 * The coalescer object for a cache key: one of 256 shards, named by the key's first byte (a cache key
 * is SHA-256 hex). The same key always meets the same object, from every isolate; a fixed set of
 * objects means a new request never pays for creating a Durable Object (and its SQLite database),
 * which one object per key did on every unique miss.
 */
export function coalescerName(cacheKey: string): string {
  return `shard-${cacheKey.slice(0, 2)}`;
}

/**
 * Tells the shard of `cacheKey` that R2 now has it (a generation stored outside the shard). The index
 * is an optimisation, so a failure is logged, not thrown: the entry is then generated again once.
 */
export async function markStored(
  namespace: DurableObjectNamespace<GenerationCoalescer>,
  cacheKey: string,
  requestId: string,
): Promise<void> {
  try {
    await namespace.getByName(coalescerName(cacheKey)).markStored(cacheKey);
  } catch (error) {
    log.warn("marking a stored generation failed", {
      request_id: requestId,
      error: error instanceof Error ? error.name : "unknown",
    });
  }
}

/** The bindings a {@link GenerationCoalescer} uses: the fleet's, R2 for results, and the cache's retention. */
export interface CoalescerBindings extends FleetRunBindings {
  IMAGES: R2Bucket;
  SDGATE_CACHE_RETENTION_DAYS?: string;
}

interface Recent {
  outcome: Extract<FleetRunOutcome, { ok: true }>;
  stored: Promise<void>;
  b64Chars: number;
}

/**
 * One shard of cache keys (`getByName(coalescerName(cacheKey))`), so identical requests from every
 * isolate meet here: the first runs it on the fleet, those that arrive while it runs wait for the
 * same result, and the result is written to R2 once. A Durable Object receives new calls while it
 * awaits a fetch (input gates only hold during storage operations), which is what lets waiters join.
 * It also indexes which of its keys R2 holds ({@link StoredIndex}): it sees every result it stores,
 * so one call answers stored / running / absent and a miss reads neither R2 nor the Cache API.
 */
export class GenerationCoalescer extends DurableObject<CoalescerBindings> {
  readonly #inflight = new Map<string, Promise<FleetRunOutcome>>();
  // Insertion order is age order: the first entry is the oldest.
  readonly #recent = new Map<string, Recent>();
  #recentB64Chars = 0;
  readonly #index: StoredIndex;

  constructor(ctx: DurableObjectState, env: CoalescerBindings) {
    super(ctx, env);
    // The index forgets an entry before R2's lifecycle rule deletes its images (same retention).
    this.#index = new StoredIndex(ctx.storage.sql, cacheRetentionMs(env));
  }

  /**
   * Whether `cacheKey` is stored, running or absent: the one call a request that its isolate's memory
   * could not answer makes before it is admitted, instead of looking in the Cache API and R2 first.
   * Only a `stored` answer sends the caller to R2 (or gives it the record outright).
   */
  lookup(cacheKey: string): Presence {
    if (this.#index.has(cacheKey)) {
      return { state: "stored", record: this.#recent.get(cacheKey)?.outcome.record ?? null };
    }
    return this.#inflight.has(cacheKey) || this.#recent.has(cacheKey)
      ? { state: "running" }
      : { state: "absent" };
  }

  /**
   * Records that a generation was stored under `cacheKey` outside this shard (a `no-cache` refresh,
   * an async job, a `url` answer to a `no-store` request), dropping a previous result held here.
   */
  markStored(cacheKey: string): void {
    this.#forget(cacheKey);
    this.#index.mark(cacheKey, Date.now());
  }

  async run(fleetRun: FleetRun, options: RunOptions): Promise<CoalescedOutcome | StoredAnswer> {
    const key = fleetRun.cacheKey;
    const recent = this.#recent.get(key);
    if (recent) {
      if (options.waitForStore) await recent.stored;
      return { ...recent.outcome, cache: "HIT" };
    }
    const running = this.#inflight.get(key);
    if (running) {
      const outcome = await running;
      // The leader has stored (or is storing) the result by now.
      const stored = this.#recent.get(key)?.stored;
      if (options.waitForStore && stored) await stored;
      return { ...outcome, cache: "COALESCED" };
    }
    if (options.forgetStored) this.#index.forget(key);
    else if (this.#index.has(key)) return { cache: "STORED" };
    const inflight = runOnFleet(fleetRun, this.env, (promise) => this.ctx.waitUntil(promise));
    this.#inflight.set(key, inflight);
    try {
      const outcome = await inflight;
      if (outcome.ok) {
        const stored = this.#store(fleetRun, outcome);
        if (options.waitForStore) await stored;
      }
      return { ...outcome, cache: "MISS" };
    } finally {
      this.#inflight.delete(key);
    }
  }

  #store(fleetRun: FleetRun, outcome: Extract<FleetRunOutcome, { ok: true }>): Promise<void> {
    // Indexed only once R2 has it, so a "stored" answer never points at an object still being written.
    const stored = putGeneration(this.env.IMAGES, fleetRun.tenantTag, fleetRun.cacheKey, outcome.record)
      .then(() => this.#index.mark(fleetRun.cacheKey, Date.now()))
      .catch((error: unknown) => {
        log.error("storing a generation failed", {
          request_id: fleetRun.requestId,
          error: error instanceof Error ? error.name : "unknown",
        });
      });
    const b64Chars = outcome.record.images.reduce((total, image) => total + image.b64.length, 0);
    const recent: Recent = { outcome, stored, b64Chars };
    this.#forget(fleetRun.cacheKey);
    this.#recent.set(fleetRun.cacheKey, recent);
    this.#recentB64Chars += b64Chars;
    for (const [oldest] of this.#recent) {
      if (this.#recentB64Chars <= MAX_RECENT_B64_CHARS || oldest === fleetRun.cacheKey) break;
      this.#forget(oldest);
    }
    const forget = stored
      .then(() => new Promise((resolve) => setTimeout(resolve, RECENT_GRACE_MS)))
      .finally(() => {
        if (this.#recent.get(fleetRun.cacheKey) === recent) this.#forget(fleetRun.cacheKey);
      });
    this.ctx.waitUntil(forget);
    return stored;
  }

  #forget(key: string): void {
    const recent = this.#recent.get(key);
    if (!recent) return;
    this.#recent.delete(key);
    this.#recentB64Chars -= recent.b64Chars;
  }
}
