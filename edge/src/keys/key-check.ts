import type { Context } from "hono";
import type { AuthVerdict, KeyState, KeyStateInit } from "../limits/key-state.ts";
import { DEFAULT_KEY_LIMITS } from "../limits/policy.ts";
import type { ApiKey, ApiKeyRecord, ApiKeyScope } from "./api-key.ts";

export type KeyCheck<E extends object> = (
  c: Context<E>,
  hashHex: string,
  record: ApiKeyRecord,
) => Promise<AuthVerdict>;

/**
 * The key as a stored record describes it. A record carries no key-level expiry of its own: its
 * `expires_at` (that secret's end, already the earlier of a rotation's and the key's) goes with the secret.
 */
export function keyOfRecord(record: ApiKeyRecord): ApiKey {
  const key: ApiKey = {
    id: record.id,
    name: record.name,
    scopes: record.scopes,
    limits: record.limits ?? DEFAULT_KEY_LIMITS,
    created_at: record.created_at,
  };
  if (record.models !== undefined) key.models = record.models;
  if (record.allowed_ips !== undefined) key.allowed_ips = record.allowed_ips;
  return key;
}

/** The caller's address as Cloudflare gives it (`CF-Connecting-IP`); `null` when absent. */
export function clientIpOf(c: Context): string | null {
  return c.req.header("CF-Connecting-IP") ?? null;
}

/** What the key's Durable Object adopts if it has never seen the key (one seeded straight into KV or D1). */
export function bootstrapOf(hashHex: string, record: ApiKeyRecord): KeyStateInit {
  return {
    key: keyOfRecord(record),
    secrets: [
      { hash: hashHex, expiresAtMs: record.expires_at === undefined ? null : Date.parse(record.expires_at) },
    ],
  };
}

/**
 * The default check of the auth middleware: one RPC to the key's `KeyState` Durable Object, which
 * alone knows whether the secret was revoked or rotated out. Reads the namespace from `c.var.config`
 * (set by the app's config middleware); without it the request fails closed with a 500.
 */
export async function keyStateCheck<E extends object>(
  c: Context<E>,
  hashHex: string,
  record: ApiKeyRecord,
): Promise<AuthVerdict> {
  const config = (c.var as unknown as { config?: { keyState?: DurableObjectNamespace<KeyState> } }).config;
  if (!config?.keyState)
    throw new Error("auth: c.var.config.keyState is not set; is the config middleware first?");
  return config.keyState
    .getByName(record.id)
    .authenticate(hashHex, bootstrapOf(hashHex, record), clientIpOf(c as Context));
}

/**
 * A key found in the store whose Durable Object has not been asked yet (see `keyAuth`'s `deferred`):
 * until `authorize` asks it, `c.var.apiKey` (scopes, limits) is only the stored record's word.
 */
export interface PendingKey {
  hashHex: string;
  record: ApiKeyRecord;
  /** The scope of the route, which the key's object checks (the record's scopes may be a minute old). */
  scope: ApiKeyScope;
  /** Whether the key's object was asked already: it is asked once per request. */
  asked: boolean;
}
