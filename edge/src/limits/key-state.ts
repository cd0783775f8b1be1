import { DurableObject } from "cloudflare:workers";
import type { BudgetAlertType } from "@sdgate/shared";
import { isApiKeyScope } from "@sdgate/shared";
import { AUDIT_LOG_NAME, type AuditLog } from "../audit/audit-log.ts";
import { AuditOutbox, type GenerationContext, type GenerationEnd } from "../audit/outbox.ts";
import { monthStartMs, nextMonthStartMs, secondsUntilNextMonth } from "../budgets/month.ts";
import type { TeamBudget } from "../budgets/team-budget.ts";
import { ipAllowed } from "../keys/allowed-ips.ts";
import { type ApiKey, mayUseModel, scopeGranted } from "../keys/api-key.ts";
import { log } from "../log.ts";
import { type SdapiOptions, SdapiSlot, type SdapiTask } from "../sdapi/key-slot.ts";
import { MonthlyLedger } from "./monthly-ledger.ts";
import { monthlyBudgetOf } from "./policy.ts";
import { ReservationBook } from "./reservations.ts";
import type { AdmitResult, LimitSnapshot } from "./snapshot.ts";
import { TeamLink } from "./team-link.ts";
import { type Bucket, refill, secondsUntil } from "./token-bucket.ts";

/** What a key's Durable Object needs to adopt a key it has never seen: its record and its secrets. */
export interface KeyStateInit {
  key: ApiKey;
  /** SHA-256 hex of each secret, with when it stops working (`null`: never). */
  secrets: ReadonlyArray<{ hash: string; expiresAtMs: number | null }>;
  revoked?: boolean;
}

export type AuthVerdict =
  | { ok: true; key: ApiKey }
  | {
      ok: false;
      reason: "unknown_key" | "unknown_secret" | "expired" | "key_expired" | "revoked" | "ip_not_allowed";
    };

/** What {@link KeyState.authorize} is asked: the scope the route needs and what to admit. */
export interface AuthorizeRequest {
  /** The scope the key must grant (`generate` grants `read` too); `null` for any. */
  scope: string | null;
  /** Credits of a generation to reserve (with a concurrency slot); `null` takes a request token only. */
  cost: number | null;
  /** The model the request uses, which the key must be allowed (its `models`); absent: no model. */
  model?: string;
  /** The caller's address, for a key limited to some (`allowed_ips`); `null` when unknown. */
  clientIp?: string | null;
  /**
   * The generation being admitted, for its audit row: kept with a reservation (and written when it is
   * settled or lapses); for a request-only admission (a cache hit, `hit`) written at once.
   */
  audit?: GenerationContext & { hit?: GenerationEnd };
}

/**
 * The answer of {@link KeyState.authorize}: the verdict on the secret and, when it works and has the
 * scope, the admission. `admission` is `null` when nothing was admitted (refused key or missing scope).
 */
export interface Authorization {
  verdict: AuthVerdict;
  admission: AdmitResult | null;
}

/**
 * The bindings a {@link KeyState} uses: the audit chain its outbox feeds, D1 for `last_used_at` (and
 * the key's team, once), and the team budgets its team's generations also reserve in.
 */
export interface KeyStateBindings {
  AUDIT_LOG: DurableObjectNamespace<AuditLog>;
  DB: D1Database;
  TEAM_BUDGET: DurableObjectNamespace<TeamBudget>;
}

/** How often at most `last_used_at` is written to D1: it is kept here and flushed by an alarm. */
export const LAST_USED_FLUSH_MS = 30_000;
/** An admission never settled (its Worker died) stops holding a slot after this; it is charged in full. */
export const RESERVATION_LEASE_MS = 15 * 60_000;
/** Audit rows wait this long in the outbox for others to share their hand-over to the `AuditLog`. */
export const OUTBOX_FLUSH_DELAY_MS = 50;
/** After a failed hand-over the outbox waits this long before the next, doubling up to a minute. */
export const OUTBOX_RETRY_MS = 1_000;
/** `Retry-After` for a concurrency refusal: slots free up as generations finish. */
export const CONCURRENCY_RETRY_AFTER_S = 1;
/** `Retry-After` for credits exhausted with nothing in flight that could be refunded. */
export const CREDITS_RETRY_AFTER_S = 3600;
/** The most request tokens a request-only admission may take before the bucket is written again. */
export const MAX_TOKEN_LEASE = 16;
/**
 * The stored bucket also lags by this much refill, so a key far under a high rate (its bucket always
 * full again a moment later) writes its bucket about once a second, not on every request.
 */
export const TOKEN_LEASE_REFILL_MS = 1000;

interface State {
  key: ApiKey;
  revokedAtMs: number | null;
  bucket: Bucket;
  /** The bucket as storage has it: never more tokens than {@link State.bucket} (see `#takeToken`). */
  storedBucket: Bucket;
  spent: number;
  lastUsedMs: number | null;
  persistedLastUsedMs: number | null;
  flushedLastUsedMs: number | null;
}

// One row of key state (`one = 1`), the key's secrets, and its open reservations. SQLite-backed
// Durable Object storage is synchronous, so every RPC method below runs start to finish without
// yielding: no two admissions can interleave, which is what makes the limits exact.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS state (
  one INTEGER PRIMARY KEY CHECK (one = 1),
  key TEXT NOT NULL,
  revoked_at_ms INTEGER,
  tokens REAL NOT NULL,
  bucket_ms INTEGER NOT NULL,
  spent INTEGER NOT NULL,
  last_used_ms INTEGER,
  flushed_last_used_ms INTEGER
);
CREATE TABLE IF NOT EXISTS secrets (hash TEXT PRIMARY KEY, expires_at_ms INTEGER);
`;

type StateRow = {
  key: string;
  revoked_at_ms: number | null;
  tokens: number;
  bucket_ms: number;
  spent: number;
  last_used_ms: number | null;
  flushed_last_used_ms: number | null;
};

/**
 * One per API key (named by the key id): whether each of its secrets still works, and its limits —
 * a token bucket for requests per minute, the generations in flight, and a credit ledger where a job's
 * cost is reserved on admission and settled (or refunded) when it ends.
 *
 * @example
 * const verdict = await env.KEY_STATE.getByName(keyId).authenticate(hashHex, null);
 */
export class KeyState extends DurableObject<KeyStateBindings> {
  /** The clock; tests replace it through `runInDurableObject` (an instance field, so not callable over RPC). */
  now: () => number = () => Date.now();

  #state: State | null = null;
  readonly #secrets = new Map<string, number | null>();
  readonly #reservations: ReservationBook;
  readonly #monthly: MonthlyLedger;
  readonly #team: TeamLink;
  readonly #outbox: AuditOutbox;
  readonly #sdapi: SdapiSlot;
  /** When the alarm is set for, as far as this instance knows (`null`: not set by it). */
  #alarmAtMs: number | null = null;
  #lastUsedFlushMs = 0;
  #outboxRetryMs = OUTBOX_RETRY_MS;
  #teamRetryMs = OUTBOX_RETRY_MS;
  /** When the team outbox may be tried again after a failure (`null`: now). */
  #teamRetryAtMs: number | null = null;

  constructor(ctx: DurableObjectState, env: KeyStateBindings) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    sql.exec(SCHEMA);
    this.#outbox = new AuditOutbox(sql);
    this.#reservations = new ReservationBook(sql);
    this.#monthly = new MonthlyLedger(sql);
    this.#team = new TeamLink(sql);
    this.#sdapi = new SdapiSlot(sql);
    const row = sql.exec<StateRow>("SELECT * FROM state WHERE one = 1").toArray()[0];
    if (row) {
      this.#state = {
        key: JSON.parse(row.key) as ApiKey,
        revokedAtMs: row.revoked_at_ms,
        bucket: { tokens: row.tokens, updatedMs: row.bucket_ms },
        storedBucket: { tokens: row.tokens, updatedMs: row.bucket_ms },
        spent: row.spent,
        lastUsedMs: row.last_used_ms,
        persistedLastUsedMs: row.last_used_ms,
        flushedLastUsedMs: row.flushed_last_used_ms,
      };
    }
    for (const s of sql.exec<{ hash: string; expires_at_ms: number | null }>("SELECT * FROM secrets")) {
      this.#secrets.set(s.hash, s.expires_at_ms);
    }
  }

  /** The key's A1111 task and options (`sdapi/key-slot.ts`); the routes call these once the key is confirmed. */
  sdapiTask(): SdapiTask | null {
    return this.#sdapi.task();
  }

  sdapiAdvance(task: SdapiTask): boolean {
    return this.#sdapi.advance(task);
  }

  sdapiRunning(taskId: string, iteration: number, jobId: string): boolean {
    return this.#sdapi.running(taskId, iteration, jobId);
  }

  sdapiStop(kind: "interrupt" | "skip"): SdapiTask[] {
    return this.#sdapi.stop(kind);
  }

  sdapiEnd(taskId: string): void {
    this.#sdapi.end(taskId);
  }

  sdapiOptions(): SdapiOptions {
    return this.#sdapi.options();
  }

  sdapiSetOptions(options: SdapiOptions): void {
    this.#sdapi.setOptions(options);
  }

  /** Adopts a key if this object has none yet (idempotent); returns whether it did. */
  initialize(init: KeyStateInit): boolean {
    if (this.#state) return false;
    const nowMs = this.now();
    this.#state = {
      key: init.key,
      revokedAtMs: init.revoked ? nowMs : null,
      bucket: { tokens: init.key.limits.requests_per_minute, updatedMs: nowMs },
      storedBucket: { tokens: init.key.limits.requests_per_minute, updatedMs: nowMs },
      spent: 0,
      lastUsedMs: null,
      persistedLastUsedMs: null,
      flushedLastUsedMs: null,
    };
    for (const secret of init.secrets) this.#putSecret(secret.hash, secret.expiresAtMs);
    this.#persist();
    return true;
  }

  /**
   * Whether the secret with SHA-256 `hashHex` works now. A key this object has never seen is adopted
   * from `bootstrap` (its KV or D1 record); afterwards this object alone decides.
   */
  authenticate(hashHex: string, bootstrap: KeyStateInit | null, clientIp: string | null = null): AuthVerdict {
    if (!this.#state && bootstrap) this.initialize(bootstrap);
    const state = this.#state;
    if (!state) return { ok: false, reason: "unknown_key" };
    if (state.revokedAtMs !== null) return { ok: false, reason: "revoked" };
    if (!this.#secrets.has(hashHex)) return { ok: false, reason: "unknown_secret" };
    const expiresAtMs = this.#secrets.get(hashHex) ?? null;
    const nowMs = this.now();
    if (state.key.expires_at !== undefined && nowMs >= Date.parse(state.key.expires_at))
      return { ok: false, reason: "key_expired" };
    if (expiresAtMs !== null && nowMs >= expiresAtMs) return { ok: false, reason: "expired" };
    if (state.key.allowed_ips !== undefined && !ipAllowed(state.key.allowed_ips, clientIp))
      return { ok: false, reason: "ip_not_allowed" };
    this.#touch(nowMs);
    return { ok: true, key: state.key };
  }

  /**
   * {@link authenticate}, then, if the secret works and the key grants `request.scope`,
   * {@link admit} (`cost`) or {@link admitRequest} (`cost: null`): the whole check of a request in
   * one call, so the hot path pays one round trip to this object instead of two.
   */
  async authorize(
    hashHex: string,
    bootstrap: KeyStateInit | null,
    request: AuthorizeRequest,
  ): Promise<Authorization> {
    const { scope, cost } = request;
    if (cost !== null && (!Number.isSafeInteger(cost) || cost < 0))
      throw new RangeError("authorize: cost must be a whole number ≥ 0.");
    const verdict = this.authenticate(hashHex, bootstrap, request.clientIp ?? null);
    if (
      !verdict.ok ||
      (scope !== null && !(isApiKeyScope(scope) && scopeGranted(verdict.key.scopes, scope)))
    ) {
      return { verdict, admission: null };
    }
    // This object's copy of the key decides, so a `PATCH` that narrows its models counts at once.
    if (request.model !== undefined && !mayUseModel(verdict.key, request.model)) {
      return { verdict, admission: null };
    }
    if (cost !== null && !this.#team.known) await this.#learnTeam(verdict.key.id);
    const admission = await this.#admitWithTeam(cost, request.audit ?? null);
    const hit = request.audit?.hit;
    if (admission.ok && cost === null && request.audit && hit) {
      // A replay is served from what the route already holds: its row is written as it is admitted.
      this.#outbox.addGeneration(verdict.key.id, request.audit, hit, 0);
      this.#wake(this.now() + OUTBOX_FLUSH_DELAY_MS);
    }
    return { verdict, admission };
  }

  /** Makes `newHash` the key's secret; the ones it had keep working for `graceMs`. */
  rotate(newHash: string, graceMs: number): { ok: boolean; previousExpiresAtMs: number } {
    const expiresAtMs = this.now() + graceMs;
    if (!this.#state || this.#state.revokedAtMs !== null)
      return { ok: false, previousExpiresAtMs: expiresAtMs };
    for (const [hash, current] of this.#secrets) {
      if (current === null || current > expiresAtMs) this.#putSecret(hash, expiresAtMs);
    }
    this.#putSecret(newHash, null);
    return { ok: true, previousExpiresAtMs: expiresAtMs };
  }

  /**
   * Replaces the key's name, scopes, limits, models and expiry (`PATCH /admin/keys/{id}`), effective
   * from the next request. The bucket is first refilled at the old rate, then held to the new
   * capacity; credits already spent and generations in flight carry over. `false` for a key this
   * object does not have or has revoked.
   */
  update(key: ApiKey): boolean {
    const state = this.#state;
    if (!state || state.revokedAtMs !== null || key.id !== state.key.id) return false;
    const nowMs = this.now();
    const refilled = refill(state.bucket, state.key.limits.requests_per_minute, nowMs);
    state.key = key;
    state.bucket = { tokens: Math.min(refilled.tokens, key.limits.requests_per_minute), updatedMs: nowMs };
    this.#persist();
    return true;
  }

  /** From now on every secret of the key fails. */
  revoke(): void {
    if (!this.#state || this.#state.revokedAtMs !== null) return;
    this.#state.revokedAtMs = this.now();
    this.#persist();
  }

  /** Takes one request token, or says which limit refused and when to retry. */
  admitRequest(): AdmitResult {
    return this.#admit(null, null);
  }

  /**
   * Admits a generation of `cost` credits: takes a request token, a concurrency slot and reserves the
   * credits, all or nothing. The reservation is released by {@link settle}.
   */
  async admit(cost: number): Promise<AdmitResult> {
    if (!Number.isSafeInteger(cost) || cost < 0)
      throw new RangeError("admit: cost must be a whole number ≥ 0.");
    if (!this.#team.known) await this.#learnTeam(this.#required().key.id);
    return this.#admitWithTeam(cost, null);
  }

  /**
   * Makes the key a member of `teamId`'s budget (`null`: of none) for generations admitted from now on;
   * those in flight settle with the team they were admitted under. Call it whenever `api_keys.team_id`
   * changes (`assignKeyTeam` in `budgets/`).
   */
  setTeam(teamId: string | null): void {
    this.#team.set(teamId);
  }

  /**
   * Ends a reservation, charging `chargedCost` (0 refunds it), and with `end` writes its generation's
   * audit row in the same step, with the credits charged; unknown or settled ids are ignored (a lapsed
   * reservation wrote its own row). Without `end` (a reservation made for nothing) no row is written.
   */
  async settle(
    reservationId: string,
    chargedCost: number,
    end: GenerationEnd | null = null,
  ): Promise<LimitSnapshot> {
    const state = this.#required();
    const reservation = this.#reservations.take(reservationId);
    let forTeam = false;
    if (reservation) {
      const charged = Math.max(0, Math.ceil(chargedCost));
      state.spent += charged;
      this.#chargeMonth(reservation.createdMs, charged);
      forTeam = this.#team.settle(reservationId, charged);
      this.#persist();
      if (end !== null) {
        this.#outbox.addGeneration(state.key.id, reservation.context, end, charged);
        this.#wake(this.now() + OUTBOX_FLUSH_DELAY_MS);
      }
    }
    // The team's ledger hears it before this answers, so a settled generation is settled in both.
    if (forTeam) await this.#flushTeam();
    return this.#snapshot(this.now());
  }

  /** Writes the audit row of a generation that held no reservation (a job answered from the cache). */
  recordGeneration(context: GenerationContext, end: GenerationEnd): void {
    const state = this.#required();
    this.#outbox.addGeneration(state.key.id, context, end, 0);
    this.#wake(this.now() + OUTBOX_FLUSH_DELAY_MS);
  }

  /** Audit rows not yet handed to the `AuditLog`. */
  pendingAudit(): number {
    return this.#outbox.size;
  }

  /** The limits and what is left of them, without taking anything. */
  snapshot(): LimitSnapshot {
    return this.#snapshot(this.now());
  }

  /**
   * Everything this object does later: ends reservations past their lease, hands the audit outbox to
   * the `AuditLog`, and writes `last_used_at` to D1 (at most every {@link LAST_USED_FLUSH_MS}, never
   * per request); then sets the alarm for whatever is due next.
   */
  override async alarm(): Promise<void> {
    this.#alarmAtMs = null;
    const nowMs = this.now();
    if (this.#state) this.#expireReservations(nowMs);
    let outboxAtMs: number | null = null;
    try {
      const left = await this.#outbox.flushTo(this.env.AUDIT_LOG.getByName(AUDIT_LOG_NAME));
      this.#outboxRetryMs = OUTBOX_RETRY_MS;
      if (left > 0) outboxAtMs = nowMs;
    } catch (error) {
      log.warn("audit outbox hand-over failed; kept for a retry", { error: (error as Error).message });
      outboxAtMs = nowMs + this.#outboxRetryMs;
      this.#outboxRetryMs = Math.min(60_000, this.#outboxRetryMs * 2);
    }
    if (this.#lastUsedPending() && nowMs - this.#lastUsedFlushMs >= LAST_USED_FLUSH_MS)
      await this.#flushLastUsed();
    if (this.#team.pending > 0 && (this.#teamRetryAtMs ?? 0) <= nowMs) await this.#flushTeam();
    const due = [
      outboxAtMs,
      this.#team.pending > 0 ? (this.#teamRetryAtMs ?? nowMs) : null,
      this.#lastUsedPending() ? this.#lastUsedFlushMs + LAST_USED_FLUSH_MS : null,
      this.#reservations.nextExpiryMs(RESERVATION_LEASE_MS),
    ].filter((atMs): atMs is number => atMs !== null);
    if (due.length > 0) this.#wake(Math.min(...due));
  }

  #lastUsedPending(): boolean {
    const state = this.#state;
    return state !== null && state.lastUsedMs !== null && state.lastUsedMs !== state.flushedLastUsedMs;
  }

  async #flushLastUsed(): Promise<void> {
    const state = this.#required();
    const lastUsedMs = state.lastUsedMs as number;
    this.#lastUsedFlushMs = this.now();
    try {
      await this.env.DB.prepare("UPDATE api_keys SET last_used_at = ? WHERE id = ?")
        .bind(new Date(lastUsedMs).toISOString(), state.key.id)
        .run();
      state.flushedLastUsedMs = lastUsedMs;
      state.persistedLastUsedMs = Math.max(state.persistedLastUsedMs ?? 0, lastUsedMs);
      this.#persist();
    } catch (error) {
      log.warn("last_used flush failed", { key_id: state.key.id, error: (error as Error).message });
    }
  }

  // One alarm serves every later task: moved earlier when a task is due sooner, never later (the
  // alarm works out what is due next when it runs).
  #wake(atMs: number): void {
    if (this.#alarmAtMs !== null && this.#alarmAtMs <= atMs) return;
    this.#alarmAtMs = atMs;
    void this.ctx.storage.setAlarm(atMs);
  }

  #admit(cost: number | null, context: GenerationContext | null): AdmitResult {
    const state = this.#required();
    const nowMs = this.now();
    this.#expireReservations(nowMs);
    const { limits } = state.key;
    const bucket = refill(state.bucket, limits.requests_per_minute, nowMs);
    state.bucket = bucket;
    if (bucket.tokens < 1) {
      const retryAfterS = Math.max(1, secondsUntil(bucket, limits.requests_per_minute, 1));
      return { ok: false, limit: "requests_per_minute", retryAfterS, snapshot: this.#snapshot(nowMs) };
    }
    if (cost !== null && this.#reservations.size >= limits.concurrency) {
      return {
        ok: false,
        limit: "concurrency",
        retryAfterS: CONCURRENCY_RETRY_AFTER_S,
        snapshot: this.#snapshot(nowMs),
      };
    }
    if (
      cost !== null &&
      limits.credits !== null &&
      state.spent + this.#reservations.total + cost > limits.credits
    ) {
      const retryAfterS = this.#reservations.size > 0 ? CONCURRENCY_RETRY_AFTER_S : CREDITS_RETRY_AFTER_S;
      return { ok: false, limit: "credits", retryAfterS, snapshot: this.#snapshot(nowMs) };
    }
    const monthly = monthlyBudgetOf(limits);
    if (cost !== null && monthly !== null && this.#monthUsed(nowMs) + cost > monthly.credits) {
      if (this.#monthly.firstRefusal(nowMs)) this.#keyAlert("budget.exhausted", nowMs);
      return {
        ok: false,
        limit: "monthly_credits",
        retryAfterS: secondsUntilNextMonth(nowMs),
        snapshot: this.#snapshot(nowMs),
      };
    }
    state.bucket = { tokens: bucket.tokens - 1, updatedMs: nowMs };
    if (cost === null) {
      this.#leaseTokens(nowMs);
      return { ok: true, reservationId: null, snapshot: this.#snapshot(nowMs) };
    }
    const reservationId = this.#reservations.add(cost, context, nowMs);
    // The alarm ends the reservation at its lease even if this key is never used again.
    this.#wake(nowMs + RESERVATION_LEASE_MS);
    this.#persist();
    return { ok: true, reservationId, snapshot: this.#snapshot(nowMs) };
  }

  // A request-only admission (a cache hit, a GET) writes the bucket only when the stored copy would
  // otherwise hold more tokens than memory: it then stores up to MAX_TOKEN_LEASE tokens fewer than
  // memory has. Both refill alike, so the stored bucket never has more than the real one: an object
  // restarted from storage may admit a few requests fewer (at most the lease: a few tokens, or a
  // second's refill for a fast bucket), never one more. Admissions with a reservation and every other
  // write store the bucket exactly.
  #leaseTokens(nowMs: number): void {
    const state = this.#required();
    const capacity = state.key.limits.requests_per_minute;
    const stored = refill(state.storedBucket, capacity, nowMs);
    if (stored.tokens <= state.bucket.tokens) return;
    const lease = Math.max(
      1,
      Math.min(MAX_TOKEN_LEASE, Math.floor(capacity / 10)),
      Math.ceil((capacity * TOKEN_LEASE_REFILL_MS) / 60_000),
    );
    this.#persist({ tokens: Math.max(0, state.bucket.tokens - lease), updatedMs: nowMs });
  }

  #snapshot(nowMs: number): LimitSnapshot {
    const state = this.#required();
    const { limits } = state.key;
    const bucket = refill(state.bucket, limits.requests_per_minute, nowMs);
    const monthly = monthlyBudgetOf(limits);
    return {
      limits,
      requestsRemaining: Math.floor(bucket.tokens),
      requestsResetS: secondsUntil(bucket, limits.requests_per_minute, limits.requests_per_minute),
      inFlight: this.#reservations.size,
      creditsRemaining:
        limits.credits === null ? null : Math.max(0, limits.credits - state.spent - this.#reservations.total),
      monthly:
        monthly === null
          ? null
          : {
              credits: monthly.credits,
              remaining: Math.max(0, monthly.credits - this.#monthUsed(nowMs)),
              resetsAtMs: nextMonthStartMs(nowMs),
              resetS: secondsUntilNextMonth(nowMs),
            },
    };
  }

  // A Worker that died between admit and settle must not hold a slot forever; the job probably ran,
  // so its reserved cost is charged, and its audit row says so.
  #expireReservations(nowMs: number): void {
    const state = this.#required();
    const expired = this.#reservations.takeExpired(nowMs, RESERVATION_LEASE_MS);
    for (const reservation of expired) {
      state.spent += reservation.cost;
      this.#chargeMonth(reservation.createdMs, reservation.cost);
      // Its team hears it from the alarm, which runs again at once for it.
      this.#team.settle(reservation.id, reservation.cost);
      const end = { status: null, backend: null, latencyMs: null, detail: { settled_by: "lease_expired" } };
      this.#outbox.addGeneration(state.key.id, reservation.context, end, reservation.cost);
    }
    if (expired.length > 0) {
      this.#persist();
      this.#wake(nowMs + OUTBOX_FLUSH_DELAY_MS);
    }
  }

  // Credits of this month's budget charged or held: reservations made before the month turned belong
  // to the month they were made in.
  #monthUsed(nowMs: number): number {
    return this.#monthly.spent(nowMs) + this.#reservations.totalSince(monthStartMs(nowMs));
  }

  #chargeMonth(reservedMs: number, charged: number): void {
    const state = this.#required();
    const nowMs = this.now();
    if (this.#monthly.charge(reservedMs, charged, nowMs, monthlyBudgetOf(state.key.limits)))
      this.#keyAlert("budget.soft_limit", nowMs);
  }

  // The key's own budget alerts go to its team's alert URL, through the team's object; a key without
  // a team has nowhere to send them.
  #keyAlert(type: BudgetAlertType, nowMs: number): void {
    const state = this.#required();
    const budget = monthlyBudgetOf(state.key.limits);
    const teamId = this.#team.teamId;
    if (budget === null || teamId === null) return;
    this.#team.alert(teamId, {
      type,
      budget: "key",
      teamId,
      teamName: null,
      keyId: state.key.id,
      limit: budget.credits,
      spent: this.#monthly.spent(nowMs),
      softPercent: budget.softPercent,
      nowMs,
    });
    this.#wake(nowMs + OUTBOX_FLUSH_DELAY_MS);
  }

  /**
   * {@link #admit}, then for a key of a team, the same reservation in the team's `TeamBudget`: if the
   * team refuses (or cannot be asked), the key's reservation is released, so it is all or nothing. The
   * key's own admission is decided before the first await, so no two of them interleave.
   */
  async #admitWithTeam(cost: number | null, context: GenerationContext | null): Promise<AdmitResult> {
    const admission = this.#admit(cost, context);
    const teamId = this.#team.teamId;
    if (cost === null || !admission.ok || admission.reservationId === null || teamId === null)
      return admission;
    const { reservationId } = admission;
    const keyId = this.#required().key.id;
    // Held before asking, so that if this object dies mid-way its lease still settles the team's side.
    this.#team.hold(reservationId, teamId);
    let answer: Awaited<ReturnType<TeamBudget["reserve"]>>;
    try {
      answer = await this.env.TEAM_BUDGET.getByName(teamId).reserve(reservationId, keyId, cost);
    } catch (error) {
      this.#release(reservationId);
      throw error;
    }
    if (answer.ok) return admission;
    this.#release(reservationId);
    const nowMs = this.now();
    return {
      ok: false,
      limit: "team_monthly_credits",
      retryAfterS: answer.refusal.retryAfterS,
      snapshot: this.#snapshot(nowMs),
      team: answer.refusal,
    };
  }

  // Gives back a reservation the team refused: nothing charged, its slot free again.
  #release(reservationId: string): void {
    this.#reservations.take(reservationId);
    this.#team.forget(reservationId);
  }

  // Keys made before teams (or whose object never heard `setTeam`) learn their team from D1 once.
  // Nothing else runs meanwhile, so admissions stay in order; if D1 cannot answer, this admission goes
  // without a team and the next one asks again.
  async #learnTeam(keyId: string): Promise<void> {
    await this.ctx.blockConcurrencyWhile(async () => {
      if (this.#team.known) return;
      try {
        const row = await this.env.DB.prepare("SELECT team_id FROM api_keys WHERE id = ?")
          .bind(keyId)
          .first<{ team_id: string | null }>();
        this.#team.set(row?.team_id ?? null);
      } catch (error) {
        log.warn("reading a key's team failed", { key_id: keyId, error: (error as Error).message });
      }
    });
  }

  async #flushTeam(): Promise<void> {
    const state = this.#required();
    try {
      await this.#team.flush(state.key.id, this.env.TEAM_BUDGET);
      this.#teamRetryMs = OUTBOX_RETRY_MS;
      this.#teamRetryAtMs = null;
    } catch (error) {
      log.warn("telling a team budget failed; kept for a retry", {
        key_id: state.key.id,
        error: (error as Error).message,
      });
      this.#teamRetryAtMs = this.now() + this.#teamRetryMs;
      this.#teamRetryMs = Math.min(60_000, this.#teamRetryMs * 2);
      this.#wake(this.#teamRetryAtMs);
    }
  }

  #touch(nowMs: number): void {
    const state = this.#required();
    state.lastUsedMs = nowMs;
    // Kept in memory on every request; written to this object's storage at most once a second and to
    // D1 by the alarm, so a busy key costs neither a storage write nor a D1 write per request.
    if (state.persistedLastUsedMs === null || nowMs - state.persistedLastUsedMs >= 1000) {
      state.persistedLastUsedMs = nowMs;
      this.#persist();
    }
    this.#wake(Math.max(nowMs, this.#lastUsedFlushMs) + LAST_USED_FLUSH_MS);
  }

  #putSecret(hash: string, expiresAtMs: number | null): void {
    this.#secrets.set(hash, expiresAtMs);
    this.ctx.storage.sql.exec(
      "INSERT INTO secrets (hash, expires_at_ms) VALUES (?, ?) ON CONFLICT (hash) DO UPDATE SET expires_at_ms = excluded.expires_at_ms",
      hash,
      expiresAtMs,
    );
  }

  #persist(bucket?: Bucket): void {
    const state = this.#required();
    state.storedBucket = bucket ?? state.bucket;
    this.ctx.storage.sql.exec(
      `INSERT INTO state (one, key, revoked_at_ms, tokens, bucket_ms, spent, last_used_ms, flushed_last_used_ms)
       VALUES (1, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (one) DO UPDATE SET key = excluded.key, revoked_at_ms = excluded.revoked_at_ms,
         tokens = excluded.tokens, bucket_ms = excluded.bucket_ms, spent = excluded.spent,
         last_used_ms = excluded.last_used_ms, flushed_last_used_ms = excluded.flushed_last_used_ms`,
      JSON.stringify(state.key),
      state.revokedAtMs,
      state.storedBucket.tokens,
      state.storedBucket.updatedMs,
      state.spent,
      state.persistedLastUsedMs,
      state.flushedLastUsedMs,
    );
  }

  #required(): State {
    if (!this.#state) throw new Error("KeyState: this key was never initialised.");
    return this.#state;
  }
}
