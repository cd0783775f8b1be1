import { type Result, sha256Hex } from "@sdgate/shared";
import type { EdgeConfig } from "../env.ts";
import type { KeyStateInit } from "../limits/key-state.ts";
import type { KeyLimits } from "../limits/policy.ts";
import type { LimitSnapshot } from "../limits/snapshot.ts";
import { type ApiKey, apiKeyRecordKey, recordOf } from "./api-key.ts";
import { forgetMiss } from "./lookup.ts";
import { newKeyId, newSecret, visiblePrefix } from "./secret.ts";
import { type D1KeyStore, d1KeyStore, type StoredKey } from "./store.ts";

/** KV refuses expirations closer than 60 s; a shorter grace is enforced by the key's Durable Object. */
const KV_MIN_TTL_S = 60;

export type KeyProblem = "not_found" | "revoked";

export interface NewKey {
  key: StoredKey;
  /** The secret: returned once, never stored. */
  secret: string;
}

export interface RotatedKey extends NewKey {
  /** When the secrets the key had before stop working. */
  previous_expires_at: string;
  grace_seconds: number;
}

function apiKeyOf(key: StoredKey): ApiKey {
  const { id, name, scopes, limits, created_at, models, expires_at, allowed_ips } = key;
  return {
    id,
    name,
    scopes,
    limits,
    created_at,
    ...(models === undefined ? {} : { models }),
    ...(expires_at === undefined ? {} : { expires_at }),
    ...(allowed_ips === undefined ? {} : { allowed_ips }),
  };
}

/**
 * Writes the KV record of one secret. One that stops working (`record.expires_at`) leaves KV a
 * little after (KV's shortest TTL is 60 s); the key's Durable Object refuses it on time.
 */
async function putRecord(config: EdgeConfig, hash: string, key: ApiKey, secretExpiresAt?: string) {
  const record = recordOf(key, secretExpiresAt);
  const options =
    record.expires_at === undefined
      ? {}
      : {
          expiration: Math.ceil(
            Math.max(Date.parse(record.expires_at), Date.now() + KV_MIN_TTL_S * 1000) / 1000,
          ),
        };
  await config.apiKeys.put(apiKeyRecordKey(hash), JSON.stringify(record), options);
}

/** What the key's Durable Object adopts if it has not seen the key yet (a key seeded into D1 by hand). */
async function initFromD1(config: EdgeConfig, key: StoredKey): Promise<KeyStateInit> {
  const secrets = await d1KeyStore(config.db).secrets(key.id);
  return {
    key: apiKeyOf(key),
    secrets: secrets.map((s) => ({
      hash: s.hash,
      expiresAtMs: s.expires_at === null ? null : Date.parse(s.expires_at),
    })),
    revoked: key.revoked_at !== null,
  };
}

/**
 * Creates a key: D1 (the record) first, then its Durable Object, then KV (the fast path). Should
 * the KV write fail, the auth path falls back to D1 and repairs KV.
 *
 * @example
 * const { key, secret } = await createKey(config, { name: "ci", scopes: ["generate"], limits });
 */
export async function createKey(
  config: EdgeConfig,
  input: {
    name: string;
    scopes: string[];
    limits: KeyLimits;
    models?: string[];
    expires_at?: string;
    allowed_ips?: string[];
    metadata?: Record<string, string>;
  },
): Promise<NewKey> {
  const secret = newSecret();
  const hash = await sha256Hex(secret);
  const now = new Date().toISOString();
  const key: StoredKey = {
    id: newKeyId(),
    name: input.name,
    prefix: visiblePrefix(secret),
    scopes: input.scopes,
    limits: input.limits,
    created_at: now,
    revoked_at: null,
    last_used_at: null,
  };
  if (input.models !== undefined) key.models = input.models;
  if (input.expires_at !== undefined) key.expires_at = input.expires_at;
  if (input.allowed_ips !== undefined) key.allowed_ips = input.allowed_ips;
  if (input.metadata !== undefined) key.metadata = input.metadata;
  await d1KeyStore(config.db).insert(key, { hash, prefix: key.prefix, created_at: now, expires_at: null });
  forgetMiss(config.apiKeys, hash);
  await config.keyState
    .getByName(key.id)
    .initialize({ key: apiKeyOf(key), secrets: [{ hash, expiresAtMs: null }] });
  await putRecord(config, hash, key);
  return { key, secret };
}

/** The key `id` from D1, unless it does not exist or is revoked. */
async function liveKey(store: D1KeyStore, id: string): Promise<Result<StoredKey, KeyProblem>> {
  const key = await store.get(id);
  if (!key) return { ok: false, error: "not_found" };
  if (key.revoked_at !== null) return { ok: false, error: "revoked" };
  return { ok: true, value: key };
}

/**
 * What `PATCH /admin/keys/{id}` may change; `null` clears `models` (every model), `expires_at`
 * (never) or `allowed_ips` (anywhere).
 */
export interface KeyChanges {
  name?: string;
  scopes?: string[];
  limits?: { [K in keyof KeyLimits]?: KeyLimits[K] | undefined };
  models?: string[] | null;
  expires_at?: string | null;
  allowed_ips?: string[] | null;
  /** Replaces the labels as a whole; `null` or `{}` removes them. */
  metadata?: Record<string, string> | null;
}

/** `key` with `changes` applied: limits merge field by field, `null` clears models or expiry. */
function changed(key: StoredKey, changes: KeyChanges): StoredKey {
  const { models, expires_at, allowed_ips, metadata, limits, ...rest } = changes;
  const given = Object.entries(limits ?? {}).filter(([, value]) => value !== undefined);
  const updated: StoredKey = { ...key, ...rest, limits: { ...key.limits, ...Object.fromEntries(given) } };
  if (models === null) delete updated.models;
  else if (models !== undefined) updated.models = models;
  if (expires_at === null) delete updated.expires_at;
  else if (expires_at !== undefined) updated.expires_at = expires_at;
  if (allowed_ips === null) delete updated.allowed_ips;
  else if (allowed_ips !== undefined) updated.allowed_ips = allowed_ips;
  if (metadata === null || (metadata !== undefined && Object.keys(metadata).length === 0))
    delete updated.metadata;
  else if (metadata !== undefined) updated.metadata = metadata;
  return updated;
}

/**
 * Changes a live key in place (its secrets stay): D1 first, then its Durable Object, which applies
 * the new scopes, limits, models and expiry from the next request on, then the KV records of the
 * secrets that still work. Other isolates' copies of a record may show the old name, scopes or models
 * for up to `RECORD_CACHE_TTL_MS`; the object's word decides every request.
 */
export async function updateKey(
  config: EdgeConfig,
  id: string,
  changes: KeyChanges,
): Promise<Result<StoredKey, KeyProblem>> {
  const store = d1KeyStore(config.db);
  const found = await liveKey(store, id);
  if (!found.ok) return found;
  const updated = changed(found.value, changes);
  await store.update(updated);
  const stub = config.keyState.getByName(id);
  await stub.initialize(await initFromD1(config, updated));
  if (!(await stub.update(apiKeyOf(updated)))) return { ok: false, error: "revoked" };
  const nowIso = new Date().toISOString();
  const live = (await store.secrets(id)).filter((s) => s.expires_at === null || s.expires_at > nowIso);
  await Promise.all(live.map((s) => putRecord(config, s.hash, updated, s.expires_at ?? undefined)));
  return { ok: true, value: updated };
}

/**
 * A key as D1 records it, with what is left of its limits now from its Durable Object (which adopts
 * the key from D1 if it never saw it); the snapshot is `null` for a revoked key.
 */
export async function keyWithLimits(
  config: EdgeConfig,
  id: string,
): Promise<{ key: StoredKey; limits: LimitSnapshot | null } | null> {
  const key = await d1KeyStore(config.db).get(id);
  if (!key) return null;
  if (key.revoked_at !== null) return { key, limits: null };
  const stub = config.keyState.getByName(id);
  await stub.initialize(await initFromD1(config, key));
  return { key, limits: await stub.snapshot() };
}

/**
 * Revokes a key: its Durable Object first, so every secret fails everywhere from this moment; then
 * D1 and KV catch up.
 */
export async function revokeKey(config: EdgeConfig, id: string): Promise<Result<StoredKey, KeyProblem>> {
  const store = d1KeyStore(config.db);
  const key = await store.get(id);
  if (!key) return { ok: false, error: "not_found" };
  const stub = config.keyState.getByName(id);
  await stub.initialize(await initFromD1(config, key));
  await stub.revoke();
  const at = key.revoked_at ?? new Date().toISOString();
  await store.revoke(id, at);
  const secrets = await store.secrets(id);
  await Promise.all(secrets.map((s) => config.apiKeys.delete(apiKeyRecordKey(s.hash))));
  return { ok: true, value: { ...key, revoked_at: at } };
}

/**
 * Gives a key a new secret; the secrets it had keep working for `graceSeconds` (the key's Durable
 * Object enforces that to the second; their KV entries expire shortly after).
 */
export async function rotateKey(
  config: EdgeConfig,
  id: string,
  graceSeconds: number,
): Promise<Result<RotatedKey, KeyProblem>> {
  const store = d1KeyStore(config.db);
  const found = await liveKey(store, id);
  if (!found.ok) return found;
  const key = found.value;
  const stub = config.keyState.getByName(id);
  await stub.initialize(await initFromD1(config, key));

  const secret = newSecret();
  const hash = await sha256Hex(secret);
  const rotation = await stub.rotate(hash, graceSeconds * 1000);
  if (!rotation.ok) return { ok: false, error: "revoked" };
  const previousExpiresAt = new Date(rotation.previousExpiresAtMs).toISOString();
  const previous = await store.secrets(id);
  const rotated: StoredKey = { ...key, prefix: visiblePrefix(secret) };
  const now = new Date().toISOString();
  await store.rotate(
    id,
    { hash, prefix: rotated.prefix, created_at: now, expires_at: null },
    previousExpiresAt,
  );
  forgetMiss(config.apiKeys, hash);

  await Promise.all([
    putRecord(config, hash, rotated),
    ...previous
      .filter((s) => s.expires_at === null || s.expires_at > previousExpiresAt)
      .map((s) => putRecord(config, s.hash, rotated, previousExpiresAt)),
  ]);
  return {
    ok: true,
    value: { key: rotated, secret, previous_expires_at: previousExpiresAt, grace_seconds: graceSeconds },
  };
}
