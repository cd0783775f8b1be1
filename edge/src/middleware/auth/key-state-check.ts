import type { Context } from "hono";
import type { ApiKeyRecord } from "../../api-keys.ts";
import type { EdgeConfig } from "../../env.ts";
import type { AuthVerdict, KeyStateInit } from "../../limits/key-state.ts";
import { DEFAULT_KEY_LIMITS } from "../../limits/policy.ts";

export type KeyCheck<E extends object> = (
  c: Context<E>,
  hashHex: string,
  record: ApiKeyRecord,
) => Promise<AuthVerdict>;

/** What the key's Durable Object adopts if it has never seen the key (one seeded straight into KV or D1). */
export function bootstrapOf(hashHex: string, record: ApiKeyRecord): KeyStateInit {
  return {
    key: {
      id: record.id,
      name: record.name,
      scopes: record.scopes,
      limits: record.limits ?? DEFAULT_KEY_LIMITS,
      created_at: record.created_at,
    },
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
  const config = (c.var as unknown as { config?: EdgeConfig }).config;
  if (!config?.keyState)
    throw new Error("auth: c.var.config.keyState is not set; is the config middleware first?");
  return config.keyState.getByName(record.id).authenticate(hashHex, bootstrapOf(hashHex, record));
}
