import { z } from "zod";

/**
 * API keys are stored by hash only. The KV namespace bound as `API_KEYS` holds one entry per key:
 *
 *   key:   `key:<sha256hex>` where `<sha256hex>` is the lowercase hex SHA-256 of the whole UTF-8 API
 *          key, prefix included (`sha256Hex("sk_…")` from @sdgate/shared); see {@link apiKeyRecordKey}
 *   value: JSON `{ "id": "key_dev", "name": "dev", "scopes": ["generate", "read"],
 *                  "created_at": "2026-11-26T00:00:00.000Z" }`
 *
 * e.g. `npx wrangler kv key put --local --binding API_KEYS "key:<sha256hex>" '<json>'`.
 * Scopes: `generate` (POST /v1/images/generations), `read`, `admin`; unknown scopes are ignored.
 * Looking a key up by its hash is the comparison, so no secret is ever compared byte by byte.
 */
export const API_KEY_SCOPES = ["generate", "read", "admin"] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** What a key looks like before any lookup: `sk_` and 16-256 URL-safe characters. */
export const API_KEY_PATTERN = /^sk_[A-Za-z0-9_-]{16,256}$/;

export const apiKeyRecordSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  scopes: z.array(z.string()),
  created_at: z.string(),
});
export type ApiKeyRecord = z.infer<typeof apiKeyRecordSchema>;

/**
 * The KV key of the record for an API key whose SHA-256 is `hashHex`.
 *
 * @example
 * await env.API_KEYS.put(apiKeyRecordKey(await sha256Hex(apiKey)), JSON.stringify(record));
 */
export function apiKeyRecordKey(hashHex: string): string {
  return `key:${hashHex.toLowerCase()}`;
}

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
