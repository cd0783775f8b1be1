/**
 * API keys are stored by hash only. The KV namespace bound as `API_KEYS` holds one entry per key:
 *
 *   key:   `key:<sha256hex>` where `<sha256hex>` is the lowercase hex SHA-256 of the whole UTF-8 API
 *          key, prefix included (`sha256Hex("sk_…")` from @sdgate/shared); see `apiKeyRecordKey`
 *   value: JSON `{ "id": "key_dev", "name": "dev", "scopes": ["generate", "read"],
 *                  "created_at": "2026-11-26T00:00:00.000Z",
 *                  "limits": { "requests_per_minute": 60, "concurrency": 2, "credits": 100000 },
 *                  "models": ["sd15"], "expires_at": "2026-11-27T00:00:00.000Z" }`
 *          `limits` is optional (default `DEFAULT_KEY_LIMITS`); `models` only on a key limited to some
 *          models; `expires_at` only on a secret that stops working: rotated out, or of a key that expires.
 *
 * e.g. `npx wrangler kv key put --local --binding API_KEYS "key:<sha256hex>" '<json>'`.
 * Scopes: see `API_KEY_SCOPES`; unknown scopes (`admin` on keys made before it was removed)
 * are dropped when a record is read. Looking a key up by its hash is the comparison, so no secret is
 * ever compared byte by byte.
 *
 * KV is only the fast path: D1 (`api_keys`, `api_key_secrets`) is the record, and the key's Durable
 * Object (`KeyState`) has the last word on whether a secret still works, so a revocation is seen
 * everywhere at once rather than when KV's cached copies expire. A key seeded into KV alone (as
 * `npm start` does) is adopted by its Durable Object on first use.
 */
import { type ApiKeyRecord, apiKeyRecordKey, apiKeyRecordSchema, recordOf } from "./api-key.ts";
import { d1KeyStore } from "./store.ts";

/** Finds the record of a key by the key's SHA-256 hex; `null` when no such key exists. */
export interface ApiKeyStore {
  findByHash(hashHex: string): Promise<ApiKeyRecord | null>;
}

/** Raised when a stored record does not match {@link apiKeyRecordSchema}: a server-side problem. */
export class CorruptApiKeyRecordError extends Error {
  override readonly name = "CorruptApiKeyRecordError";
}

/**
 * The {@link ApiKeyStore} over the `API_KEYS` KV namespace.
 *
 * @example
 * const store = kvApiKeyStore(env.API_KEYS);
 */
export function kvApiKeyStore(kv: KVNamespace): ApiKeyStore {
  return {
    async findByHash(hashHex) {
      const raw = await kv.get(apiKeyRecordKey(hashHex), "json");
      if (raw === null) return null;
      const parsed = apiKeyRecordSchema.safeParse(raw);
      if (!parsed.success) throw new CorruptApiKeyRecordError("An API key record in KV is malformed.");
      return parsed.data;
    },
  };
}

/**
 * How long this isolate remembers that no key has a hash, so the same unknown key presented again
 * costs neither KV nor D1. A key created afterwards is not hidden by it: its secret is new, so its
 * hash cannot have been looked up before (`createKey` and `rotateKey` clear it here all the same).
 */
export const MISS_CACHE_TTL_MS = 60_000;
/** The most unknown hashes this isolate remembers; the oldest go first. */
export const MISS_CACHE_MAX_ENTRIES = 10_000;

/** How long this isolate keeps a key's record after reading it from KV or D1. */
export const RECORD_CACHE_TTL_MS = 60_000;
/** The most records this isolate keeps. */
export const RECORD_CACHE_MAX_ENTRIES = 10_000;

// Per KV namespace (one per isolate in production, one per test env in tests): hash → record, and
// hash → until when it is known to be nobody's. Both are maps in insertion order, so the first entry
// is the one to evict.
const recordCaches = new WeakMap<KVNamespace, Map<string, { record: ApiKeyRecord; untilMs: number }>>();
const missCaches = new WeakMap<KVNamespace, Map<string, number>>();

function missCacheOf(kv: KVNamespace): Map<string, number> {
  let cache = missCaches.get(kv);
  if (!cache) {
    cache = new Map();
    missCaches.set(kv, cache);
  }
  return cache;
}

function cacheMiss(kv: KVNamespace, hashHex: string, nowMs: number): void {
  const cache = missCacheOf(kv);
  cache.delete(hashHex);
  cache.set(hashHex, nowMs + MISS_CACHE_TTL_MS);
  if (cache.size > MISS_CACHE_MAX_ENTRIES) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
}

/**
 * Forgets that `hashHex` was unknown, in this isolate: for a key created or rotated here, whose
 * secret must work from its first request.
 */
export function forgetMiss(kv: KVNamespace, hashHex: string): void {
  missCaches.get(kv)?.delete(hashHex);
}

function recordCacheOf(kv: KVNamespace) {
  let cache = recordCaches.get(kv);
  if (!cache) {
    cache = new Map();
    recordCaches.set(kv, cache);
  }
  return cache;
}

function cacheRecord(kv: KVNamespace, hashHex: string, record: ApiKeyRecord, nowMs: number): void {
  const cache = recordCacheOf(kv);
  cache.delete(hashHex);
  cache.set(hashHex, { record, untilMs: nowMs + RECORD_CACHE_TTL_MS });
  if (cache.size > RECORD_CACHE_MAX_ENTRIES) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
}

/**
 * The {@link ApiKeyStore} the edge should use: this isolate's copy (kept
 * {@link RECORD_CACHE_TTL_MS}), then KV (the fast path), then D1 (the record) when KV has no entry —
 * a key created moments ago elsewhere, before KV has propagated — repairing KV from it. Revoked keys
 * are never found in D1. A hash found nowhere is remembered as unknown for {@link MISS_CACHE_TTL_MS},
 * so presenting the same wrong key again costs no D1 query (KV would not do for that: a write per
 * miss costs more than the read it saves, and its 60 s minimum TTL is no shorter). A cached record only says which key a secret belongs to: whether the secret
 * still works, and the key's scopes and limits, come from the key's Durable Object on every request,
 * so a revocation is seen at once however long a copy is kept here.
 *
 * @example
 * app.get("/v1/models", auth({ store: (c) => apiKeyStore(c.var.config) }), handler);
 */
export function apiKeyStore(config: { apiKeys: KVNamespace; db: D1Database }): ApiKeyStore {
  const kv = kvApiKeyStore(config.apiKeys);
  const d1 = d1KeyStore(config.db);
  return {
    async findByHash(hashHex) {
      const nowMs = Date.now();
      const copy = recordCacheOf(config.apiKeys).get(hashHex);
      if (copy && copy.untilMs > nowMs) return copy.record;
      const missUntilMs = missCacheOf(config.apiKeys).get(hashHex);
      if (missUntilMs !== undefined && missUntilMs > nowMs) return null;
      const cached = await kv.findByHash(hashHex);
      if (cached) {
        cacheRecord(config.apiKeys, hashHex, cached, nowMs);
        return cached;
      }
      const found = await d1.findByHash(hashHex);
      if (!found) {
        cacheMiss(config.apiKeys, hashHex, nowMs);
        return null;
      }
      const { key } = found;
      const record = recordOf(key, found.expires_at ?? undefined);
      // KV is repaired only for secrets that never expire; the others keep to D1 and this copy.
      if (record.expires_at === undefined)
        await config.apiKeys.put(apiKeyRecordKey(hashHex), JSON.stringify(record));
      cacheRecord(config.apiKeys, hashHex, record, nowMs);
      return record;
    },
  };
}
