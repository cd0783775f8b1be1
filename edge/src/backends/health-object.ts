import { DurableObject } from "cloudflare:workers";
import { keyringFor } from "../jobs/keyring.ts";
import {
  type BreakerPolicy,
  type BreakerState,
  breakerPolicySchema,
  closedBreaker,
  probeFailed,
  probeSucceeded,
  recordFailure,
  recordSuccess,
  takeProbe,
} from "./breaker.ts";
import { fetchBackendStatus } from "./client.ts";
import type { HealthEvent, HealthRpc, HealthSnapshot, HeldVersions, ProbeResult } from "./health.ts";
import { heldOf } from "./held.ts";
import { PROBE_TIMEOUT_MS, probeBackend } from "./probe.ts";
import type { Backend } from "./registry.ts";

/** Active probes run this often while the fleet sees traffic. */
export const PROBE_INTERVAL_MS = 10_000;
/** With no request for this long, the alarm stops rescheduling itself (the cron trigger still probes). */
export const IDLE_AFTER_MS = 10 * 60_000;

interface Persisted {
  pools: Backend[];
  policy: BreakerPolicy;
  states: Record<string, BreakerState>;
  probes: Record<string, ProbeResult>;
  /** What each backend's signed status last said it holds (absent from state stored before it existed). */
  versions?: HeldVersions;
  lastUsedMs: number;
}

/** The bindings it reads: only the keyring that signs its status calls (absent: versions are not read). */
interface HealthEnv {
  SDGATE_HMAC_KEYS?: string;
}

const STORAGE_KEY = "health";

/**
 * The shared health of one fleet of backends (one object per registry `fleet`): every breaker, the
 * last active probe of each backend, and an alarm that probes `/readyz` every 10 s. Isolates report
 * each failure at once and read the whole state every 250 ms (see `health.ts`), so a backend that
 * dies in one isolate's hands is skipped by every isolate within a second.
 */
// It probes the backends over plain fetch, signs its status calls with the edge's keyring, and keeps
// its state in its own storage.
export class BackendHealth extends DurableObject<HealthEnv> implements HealthRpc {
  #data: Persisted;

  constructor(ctx: DurableObjectState, env: HealthEnv) {
    super(ctx, env);
    const stored = ctx.storage.kv.get<Persisted>(STORAGE_KEY);
    this.#data = stored ?? {
      pools: [],
      policy: breakerPolicySchema.parse({}),
      states: {},
      probes: {},
      lastUsedMs: 0,
    };
  }

  #save(): void {
    this.ctx.storage.kv.put(STORAGE_KEY, this.#data);
  }

  #state(name: string, nowMs: number): BreakerState {
    return this.#data.states[name] ?? closedBreaker(nowMs);
  }

  async #ensureAlarm(): Promise<void> {
    if ((await this.ctx.storage.getAlarm()) === null) {
      await this.ctx.storage.setAlarm(Date.now() + PROBE_INTERVAL_MS);
    }
  }

  async sync(
    pools: Backend[],
    policy: BreakerPolicy,
    successes: Record<string, number>,
  ): Promise<HealthSnapshot> {
    const nowMs = Date.now();
    this.#data.pools = pools;
    this.#data.policy = policy;
    this.#data.lastUsedMs = nowMs;
    for (const [name, count] of Object.entries(successes)) {
      const state = this.#state(name, nowMs);
      // Batched successes only count toward the error-rate window; they never close an open breaker.
      if (state.mode === "closed" && Number.isInteger(count) && count > 0) {
        this.#data.states[name] = {
          ...state,
          consecutiveFailures: 0,
          windowRequests: state.windowRequests + count,
        };
      }
    }
    this.#save();
    await this.#ensureAlarm();
    return { states: this.#data.states, probes: this.#data.probes, versions: this.#data.versions ?? {} };
  }

  async report(name: string, event: HealthEvent, policy: BreakerPolicy): Promise<BreakerState> {
    const nowMs = Date.now();
    const current = this.#state(name, nowMs);
    const next = event.ok
      ? recordSuccess(current, policy, nowMs)
      : recordFailure(current, policy, nowMs, event.failure);
    this.#data.states[name] = next;
    this.#data.lastUsedMs = nowMs;
    this.#save();
    return next;
  }

  async takeProbe(name: string, leaseMs: number, _policy: BreakerPolicy): Promise<boolean> {
    const nowMs = Date.now();
    const leased = takeProbe(this.#state(name, nowMs), nowMs, leaseMs);
    if (leased === null) return false;
    this.#data.states[name] = leased;
    this.#save();
    return true;
  }

  async refreshVersions(pools: Backend[]): Promise<HeldVersions> {
    this.#data.pools = pools;
    await this.#readVersions();
    this.#save();
    return this.#data.versions ?? {};
  }

  /** Each pool's signed status, for the model versions it holds; one that cannot be read keeps its last. */
  async #readVersions(): Promise<void> {
    const spec = this.env.SDGATE_HMAC_KEYS;
    if (spec === undefined) return;
    const keyring = keyringFor(spec);
    const statuses = await Promise.all(
      this.#data.pools.map((backend) => fetchBackendStatus(backend, keyring, PROBE_TIMEOUT_MS)),
    );
    const versions: HeldVersions = { ...this.#data.versions };
    this.#data.pools.forEach((backend, i) => {
      const status = statuses[i];
      if (status) versions[backend.name] = heldOf(status.status);
    });
    this.#data.versions = versions;
  }

  /** Probes every backend of the fleet now (the alarm, and the cron trigger as a backstop). */
  async probeNow(pools?: Backend[]): Promise<Record<string, ProbeResult>> {
    if (pools) this.#data.pools = pools;
    const nowMs = Date.now();
    const [results] = await Promise.all([
      Promise.all(this.#data.pools.map((backend) => probeBackend(backend, nowMs))),
      this.#readVersions(),
    ]);
    const doneMs = Date.now();
    this.#data.pools.forEach((backend, i) => {
      const result = results[i] as ProbeResult;
      this.#data.probes[backend.name] = result;
      const state = this.#state(backend.name, doneMs);
      const next = result.ok
        ? probeSucceeded(state, doneMs)
        : probeFailed(state, this.#data.policy, doneMs, `probe ${result.detail ?? "failed"}`);
      this.#data.states[backend.name] = next;
    });
    this.#save();
    return this.#data.probes;
  }

  /** For `/admin/backends`: everything this object knows. */
  async describe(): Promise<HealthSnapshot & { pools: Backend[]; nextProbeAtMs: number | null }> {
    return {
      states: this.#data.states,
      probes: this.#data.probes,
      versions: this.#data.versions ?? {},
      pools: this.#data.pools,
      nextProbeAtMs: await this.ctx.storage.getAlarm(),
    };
  }

  override async alarm(): Promise<void> {
    await this.probeNow();
    if (Date.now() - this.#data.lastUsedMs < IDLE_AFTER_MS && this.#data.pools.length > 0) {
      await this.ctx.storage.setAlarm(Date.now() + PROBE_INTERVAL_MS);
    }
  }
}
