import type { ModelArchitecture } from "@sdgate/shared";
import { log } from "../log.ts";
import {
  type Admission,
  admission,
  type BreakerPolicy,
  type BreakerState,
  closedBreaker,
  type FailureKind,
  newer,
  recordFailure,
  recordSuccess,
  takeProbe,
} from "./breaker.ts";
import { type Held, heldAdapterKey, heldArchitecture, heldWithoutAdapters } from "./held.ts";
import type { Backend } from "./registry.ts";

/** How one request went on one backend, as the health state hears of it. */
export type HealthEvent = { ok: true } | { ok: false; failure: FailureKind };

/** The result of one active `/readyz` probe. */
export interface ProbeResult {
  atMs: number;
  ok: boolean;
  status: number | null;
  latencyMs: number;
  detail: string | null;
}

/**
 * The model versions (model id → files digest) and adapters each backend reported holding, by backend
 * name (see `held.ts`).
 */
export type HeldVersions = Record<string, Held>;

export interface HealthSnapshot {
  states: Record<string, BreakerState>;
  probes: Record<string, ProbeResult>;
  /** Absent from an object that has not read any backend's signed status yet. */
  versions?: HeldVersions;
}

/** The RPC surface of the `BackendHealth` Durable Object that an isolate uses. */
export interface HealthRpc {
  /** Registers the pools (for active probes), adds successes batched since the last sync, returns all states. */
  sync(pools: Backend[], policy: BreakerPolicy, successes: Record<string, number>): Promise<HealthSnapshot>;
  report(name: string, event: HealthEvent, policy: BreakerPolicy): Promise<BreakerState>;
  takeProbe(name: string, leaseMs: number, policy: BreakerPolicy): Promise<boolean>;
  /** Reads every pool's signed status now and returns the versions they hold. */
  refreshVersions(pools: Backend[]): Promise<HeldVersions>;
}

/**
 * How often an isolate refreshes its copy of the fleet's health from the Durable Object. Failures
 * are reported at once, so another isolate sees a dead backend within this interval plus one round
 * trip: well inside the one second the gateway promises.
 */
export const HEALTH_SYNC_INTERVAL_MS = 250;
/** A cold isolate waits at most this long for the shared state before routing on its own. */
export const FIRST_SYNC_TIMEOUT_MS = 300;
/** A half-open probe that never reports back frees the lease after this long. */
export const PROBE_LEASE_MS = 30_000;
/**
 * A request for a version no backend is known to hold makes the isolate ask every backend at once,
 * at most this often: a version deployed a moment ago serves at once, and a version deployed nowhere
 * cannot turn requests into a stream of status calls.
 */
export const VERSION_REFRESH_MIN_MS = 2_000;

type WaitUntil = (promise: Promise<unknown>) => void;

/**
 * One isolate's view of a fleet's health: a local copy of every breaker, updated at once by this
 * isolate's own results, reported to the shared `BackendHealth` object, and refreshed from it in the
 * background, so the hot path reads memory and never awaits the Durable Object (except a cold start
 * and the rare half-open probe, which must be granted to one isolate only).
 */
export class HealthView {
  readonly #rpc: () => HealthRpc;
  #policy: BreakerPolicy;
  readonly #states = new Map<string, BreakerState>();
  #probes: Record<string, ProbeResult> = {};
  #syncedAtMs = Number.NEGATIVE_INFINITY;
  #syncing: Promise<void> | null = null;
  #pendingSuccesses: Record<string, number> = {};
  #versions: HeldVersions = {};
  #versionsRefreshedMs = Number.NEGATIVE_INFINITY;
  #versionsRefresh: Promise<void> | null = null;

  constructor(rpc: () => HealthRpc, policy: BreakerPolicy) {
    this.#rpc = rpc;
    this.#policy = policy;
  }

  set policy(policy: BreakerPolicy) {
    this.#policy = policy;
  }

  /** Makes the view fresh enough to route on: awaits only the first sync, bounded. */
  async prepare(pools: readonly Backend[], nowMs: number, waitUntil: WaitUntil): Promise<void> {
    if (this.#syncedAtMs === Number.NEGATIVE_INFINITY) {
      const first = this.#sync(pools);
      await Promise.race([first, new Promise((resolve) => setTimeout(resolve, FIRST_SYNC_TIMEOUT_MS))]);
      return;
    }
    if (nowMs - this.#syncedAtMs >= HEALTH_SYNC_INTERVAL_MS) waitUntil(this.#sync(pools));
  }

  /**
   * Syncs with the shared object when this view is older than `maxAgeMs`, awaiting it (bounded as
   * the first sync is): for readers without a `waitUntil` to sync in the background.
   */
  async syncedWithin(pools: readonly Backend[], maxAgeMs: number, nowMs: number): Promise<void> {
    if (nowMs - this.#syncedAtMs < maxAgeMs) return;
    await Promise.race([
      this.#sync(pools),
      new Promise((resolve) => setTimeout(resolve, FIRST_SYNC_TIMEOUT_MS)),
    ]);
  }

  #sync(pools: readonly Backend[]): Promise<void> {
    if (this.#syncing) return this.#syncing;
    const successes = this.#pendingSuccesses;
    this.#pendingSuccesses = {};
    this.#syncing = this.#rpc()
      .sync([...pools], this.#policy, successes)
      .then((snapshot) => {
        for (const [name, remote] of Object.entries(snapshot.states)) this.#merge(name, remote);
        this.#probes = snapshot.probes;
        if (snapshot.versions) this.#versions = snapshot.versions;
      })
      .catch((error: unknown) => {
        log.warn("backend health sync failed", { error: error instanceof Error ? error.name : "unknown" });
      })
      .finally(() => {
        this.#syncedAtMs = Date.now();
        this.#syncing = null;
      });
    return this.#syncing;
  }

  #merge(name: string, remote: BreakerState): void {
    const local = this.#states.get(name);
    this.#states.set(name, local ? newer(local, remote) : remote);
  }

  state(name: string, nowMs: number): BreakerState {
    return this.#states.get(name) ?? closedBreaker(nowMs);
  }

  admission(name: string, nowMs: number): Admission {
    return admission(this.state(name, nowMs), nowMs);
  }

  probes(): Readonly<Record<string, ProbeResult>> {
    return this.#probes;
  }

  /** Whether `backend` last reported holding `digest` for `model`. */
  holds(backend: string, model: string, digest: string): boolean {
    return this.#versions[backend]?.[model] === digest;
  }

  /** Whether `backend` last reported serving `model` (any files of it). */
  serves(backend: string, model: string): boolean {
    return this.#versions[backend]?.[model] !== undefined;
  }

  /** Whether `backend` last reported `model`'s files or its architecture. */
  knowsOf(backend: string, model: string): boolean {
    return this.serves(backend, model) || heldArchitecture(this.#versions[backend], model) !== null;
  }

  /**
   * What the backends of `pools` that take traffic now (their breaker not open) last reported
   * `model` to be, by backend name; a backend that said nothing of it is not in it.
   */
  architecturesOf(
    pools: readonly Backend[],
    model: string,
    nowMs: number,
  ): Record<string, ModelArchitecture> {
    return Object.fromEntries(
      pools.flatMap((backend) => {
        const architecture = heldArchitecture(this.#versions[backend.name], model);
        return architecture === null || this.admission(backend.name, nowMs).kind === "no"
          ? []
          : [[backend.name, architecture] as const];
      }),
    );
  }

  /** Whether `backend` last reported holding the LoRA or ControlNet model whose files have `digest`. */
  holdsAdapter(backend: string, digest: string): boolean {
    return this.#versions[backend]?.[heldAdapterKey(digest)] !== undefined;
  }

  /** Forgets what adapters a backend holds (it just refused one it was thought to hold). */
  forgetAdapters(backend: string): void {
    const held = this.#versions[backend];
    if (held !== undefined) this.#versions[backend] = heldWithoutAdapters(held);
  }

  /** Forgets what a backend holds of `model` (it just refused a version it was thought to hold). */
  forgetVersion(backend: string, model: string): void {
    const held = this.#versions[backend];
    if (held !== undefined)
      this.#versions[backend] = Object.fromEntries(Object.entries(held).filter(([id]) => id !== model));
  }

  /**
   * Asks the shared object to read every backend's status now (at most once per
   * {@link VERSION_REFRESH_MIN_MS}); `false` when it was too soon to ask again.
   */
  async refreshVersions(pools: readonly Backend[], nowMs: number): Promise<boolean> {
    // A refresh under way answers every caller that arrives meanwhile: they wait for it, rather
    // than find it "too soon" and route on what was known before it.
    if (this.#versionsRefresh !== null) {
      await this.#versionsRefresh;
      return true;
    }
    if (nowMs - this.#versionsRefreshedMs < VERSION_REFRESH_MIN_MS) return false;
    this.#versionsRefreshedMs = nowMs;
    this.#versionsRefresh = this.#rpc()
      .refreshVersions([...pools])
      .then((versions) => {
        this.#versions = versions;
      })
      .catch((error: unknown) => {
        log.warn("backend versions refresh failed", {
          error: error instanceof Error ? error.name : "unknown",
        });
      })
      .finally(() => {
        this.#versionsRefresh = null;
      });
    await this.#versionsRefresh;
    return true;
  }

  /**
   * Applies the result here at once and reports it to the shared object; the promise is the report.
   * A success on a healthy backend changes nothing worth a round trip: it is counted and sent with
   * the next sync, so the shared object sees failures at once and successes in batches.
   */
  record(name: string, event: HealthEvent, nowMs: number): Promise<void> {
    const current = this.state(name, nowMs);
    if (event.ok && current.mode === "closed" && current.consecutiveFailures === 0) {
      this.#states.set(name, recordSuccess(current, this.#policy, nowMs));
      this.#pendingSuccesses[name] = (this.#pendingSuccesses[name] ?? 0) + 1;
      return Promise.resolve();
    }
    this.#states.set(
      name,
      event.ok
        ? recordSuccess(current, this.#policy, nowMs)
        : recordFailure(current, this.#policy, nowMs, event.failure),
    );
    return this.#rpc()
      .report(name, event, this.#policy)
      .then((remote) => this.#merge(name, remote))
      .catch((error: unknown) => {
        log.warn("backend health report failed", {
          backend: name,
          error: error instanceof Error ? error.name : "unknown",
        });
      });
  }

  /** Asks the shared object for the half-open probe lease; only one isolate gets it. */
  async takeProbe(name: string, nowMs: number): Promise<boolean> {
    let granted: boolean;
    try {
      granted = await this.#rpc().takeProbe(name, PROBE_LEASE_MS, this.#policy);
    } catch {
      // Without the shared object, let this isolate probe on its own lease.
      granted = takeProbe(this.state(name, nowMs), nowMs, PROBE_LEASE_MS) !== null;
    }
    const leased = takeProbe(this.state(name, nowMs), nowMs, PROBE_LEASE_MS);
    const current = this.state(name, nowMs);
    // Granted or not, nobody else in this isolate may probe it until the lease ends.
    this.#states.set(name, leased ?? { ...current, mode: "half_open", retryAtMs: nowMs + PROBE_LEASE_MS });
    return granted;
  }
}
