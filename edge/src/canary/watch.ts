import { DurableObject } from "cloudflare:workers";
import { canonicalJson, type VersionStats } from "@sdgate/shared";
import { AUDIT_LOG_NAME, type AuditLog } from "../audit/audit-log.ts";
import { log } from "../log.ts";
import type { ActiveSplit } from "./active-split.ts";
import { brokenBudget, type Outcomes, remember, statsOf } from "./stats.ts";
import { endSplit } from "./store.ts";

/** One request's outcome on a split alias, as the route reports it after the request settled. */
export interface SplitOutcome {
  split: ActiveSplit;
  /** The version the request ran, and the alias's stable version at the time. */
  version: string;
  stable: string;
  ok: boolean;
  latencyMs: number;
}

interface WatchState {
  splitId: string | null;
  /** Outcomes by version label. */
  outcomes: Record<string, Outcomes>;
  rolledBack: boolean;
}

interface WatchEnv {
  DB: D1Database;
  AUDIT_LOG: DurableObjectNamespace<AuditLog>;
}

const STORAGE_KEY = "watch";

/** The watcher's name for a model's alias: one object per split alias. */
export const watchName = (modelId: string, alias: string) => `${modelId}@${alias}`;

/**
 * Watches one alias's canary split (`CANARY_WATCH`, one object per `model@alias`): every settled
 * request on the split reports whether it failed (a 5xx) and how long it took; the object keeps each
 * version's latest outcomes and, once the canary has `min_requests` of them, rolls the split back the
 * moment its error rate or p95 latency passes its budget: the split ends in D1 (history: why, and the
 * numbers), and the audit log records it with the actor `system`. Isolates stop drawing the canary
 * within the registry cache's 5 s.
 */
export class CanaryWatch extends DurableObject<WatchEnv> {
  #state: WatchState;

  constructor(ctx: DurableObjectState, env: WatchEnv) {
    super(ctx, env);
    this.#state = ctx.storage.kv.get<WatchState>(STORAGE_KEY) ?? {
      splitId: null,
      outcomes: {},
      rolledBack: false,
    };
  }

  #save(): void {
    this.ctx.storage.kv.put(STORAGE_KEY, this.#state);
  }

  /** Each version's numbers for the split `splitId` (empty for another split, or none yet). */
  async stats(splitId: string): Promise<VersionStats[]> {
    if (this.#state.splitId !== splitId) return [];
    return Object.entries(this.#state.outcomes).map(([version, outcomes]) => statsOf(version, outcomes));
  }

  /** Records one outcome; rolls the split back when the canary breaks a budget. */
  async record(outcome: SplitOutcome): Promise<{ rolledBack: boolean }> {
    const { split } = outcome;
    if (this.#state.splitId !== split.id)
      this.#state = { splitId: split.id, outcomes: {}, rolledBack: false };
    if (this.#state.rolledBack) return { rolledBack: true };
    this.#state.outcomes[outcome.version] = remember(
      this.#state.outcomes[outcome.version] ?? [],
      outcome.ok,
      outcome.latencyMs,
    );
    this.#save();
    if (outcome.version !== split.canary.version) return { rolledBack: false };
    const canary = statsOf(outcome.version, this.#state.outcomes[outcome.version] ?? []);
    const broken = brokenBudget(canary, split);
    if (broken === null) return { rolledBack: false };
    await this.#rollBack(outcome, broken);
    return { rolledBack: true };
  }

  async #rollBack(
    outcome: SplitOutcome,
    broken: NonNullable<ReturnType<typeof brokenBudget>>,
  ): Promise<void> {
    const { split } = outcome;
    const stats = Object.entries(this.#state.outcomes).map(([version, outcomes]) =>
      statsOf(version, outcomes),
    );
    const detail = { broken, stats, canary_version: split.canary.version, stable_version: outcome.stable };
    const ended = await endSplit(this.env.DB, split.model_id, split.alias, {
      reason: "rolled_back",
      by: "system",
      detail,
      splitId: split.id,
    });
    this.#state.rolledBack = true;
    this.#save();
    // Someone stopped it first: their ending stands, and is theirs to audit.
    if (ended === null) return;
    log.warn("canary rolled back", { model: split.model_id, alias: split.alias, budget: broken.budget });
    try {
      await this.env.AUDIT_LOG.getByName(AUDIT_LOG_NAME).append({
        at: new Date().toISOString(),
        actor: "system",
        action: "model.canary.rollback",
        key_id: null,
        request_hash: null,
        backend: null,
        status: null,
        latency_ms: null,
        cost: null,
        detail: canonicalJson({
          model: split.model_id,
          alias: split.alias,
          to_alias: split.to_alias,
          split_id: split.id,
          ...detail,
        }),
      });
    } catch (error) {
      log.error("audit append failed", { error: (error as Error).message });
    }
  }
}
