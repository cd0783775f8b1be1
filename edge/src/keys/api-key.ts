/**
 * What a key may do; each route's scope is in `route-scopes.ts`.
 * - `read`: list models, price a request (`POST /v1/estimate`), read the key's own jobs.
 * - `generate`: run generations and async jobs, cancel them, fetch the webhook secret; implies `read`
 *   (a client that generates must see the models and poll its jobs).
 * There is no `admin` scope: `/admin/*` takes only `SDGATE_ADMIN_TOKEN`, so a leaked API key can
 * never manage keys, and every admin action in the audit is the admin token's.
 */
import { API_KEY_SCOPES, type ApiKeyScope, grantCovers, isApiKeyScope } from "@sdgate/shared";
import { z } from "zod";
import { type KeyLimits, keyLimitsSchema } from "../limits/policy.ts";

export { API_KEY_SCOPES, type ApiKeyScope };

// A scope and the scopes that grant it too.
const GRANTED_BY: Record<ApiKeyScope, readonly ApiKeyScope[]> = {
  generate: ["generate"],
  read: ["read", "generate"],
};

/** Whether a key carrying `held` may do what `needed` allows (`generate` implies `read`). */
export function scopeGranted(held: readonly string[], needed: ApiKeyScope): boolean {
  return GRANTED_BY[needed].some((scope) => held.includes(scope));
}

/** `scopes` without the ones that no longer exist, in their order, once each. */
export function knownScopes(scopes: readonly string[]): string[] {
  return [...new Set(scopes.filter(isApiKeyScope))];
}

/** What a key looks like before any lookup: `sk_` and 16-256 URL-safe characters. */
export const API_KEY_PATTERN = /^sk_[A-Za-z0-9_-]{16,256}$/;

export const apiKeyRecordSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  scopes: z.array(z.string()).transform(knownScopes),
  created_at: z.string(),
  limits: keyLimitsSchema.optional(),
  models: z.array(z.string()).optional(),
  allowed_ips: z.array(z.string()).optional(),
  /** When this secret stops working: the end of a rotation's grace, or the key's own expiry. */
  expires_at: z.string().optional(),
});
export type ApiKeyRecord = z.infer<typeof apiKeyRecordSchema>;

/** An authenticated key as the routes see it (`c.var.apiKey`): its current scopes and limits. */
export interface ApiKey {
  id: string;
  name: string;
  scopes: string[];
  limits: KeyLimits;
  created_at: string;
  /** The only models the key may use; absent: every model. */
  models?: string[];
  /** When the key stops working (RFC 3339); absent: never. Its Durable Object enforces it. */
  expires_at?: string;
  /** The only address ranges (CIDR) it may be used from; absent: anywhere. */
  allowed_ips?: string[];
}

/**
 * Whether `key` may use the served model reference `ref` (`sd15@production`, `sd15@v3`, or a bare id
 * on a catalog edge): a key without a `models` list may use every model; see `grantCovers`.
 */
export function mayUseModel(key: Pick<ApiKey, "models">, ref: string): boolean {
  return key.models === undefined || grantCovers(key.models, ref);
}

/** The earlier of two optional RFC 3339 times (`undefined`: never). */
function earliest(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Date.parse(a) <= Date.parse(b) ? a : b;
}

/**
 * The KV key of the record for an API key whose SHA-256 is `hashHex`.
 *
 * @example
 * await env.API_KEYS.put(apiKeyRecordKey(await sha256Hex(apiKey)), JSON.stringify(record));
 */
export function apiKeyRecordKey(hashHex: string): string {
  return `key:${hashHex.toLowerCase()}`;
}

/**
 * The KV record of one secret of `key`: its `expires_at` is the earlier of the secret's own end
 * (`secretExpiresAt`, after a rotation) and the key's expiry.
 */
export function recordOf(key: ApiKey, secretExpiresAt: string | undefined): ApiKeyRecord {
  const record: ApiKeyRecord = {
    id: key.id,
    name: key.name,
    scopes: key.scopes,
    created_at: key.created_at,
    limits: key.limits,
  };
  if (key.models !== undefined) record.models = key.models;
  if (key.allowed_ips !== undefined) record.allowed_ips = key.allowed_ips;
  const expiresAt = earliest(secretExpiresAt, key.expires_at);
  if (expiresAt !== undefined) record.expires_at = expiresAt;
  return record;
}
