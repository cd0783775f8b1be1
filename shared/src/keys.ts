import { z } from "zod";

/**
 * API keys as the admin API shows them (`/admin/keys`): what the edge writes and every client reads.
 * The secret itself appears once, when a key is made or rotated, and is never stored.
 */

/** What a key may do: `read` lists models, prices requests and reads the key's own jobs; `generate` (implying `read`) generates. */
export const API_KEY_SCOPES = ["generate", "read"] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export function isApiKeyScope(scope: string): scope is ApiKeyScope {
  return (API_KEY_SCOPES as readonly string[]).includes(scope);
}

/** What key ids look like (`key_0f1e2d3c4b5a6978`), so one is checked before it reaches storage. */
export const KEY_ID_PATTERN = /^key_[A-Za-z0-9_-]{1,64}$/;

/**
 * A key's limits: `requests_per_minute` (a token bucket), `concurrency` (generations admitted and not
 * yet settled), `credits` (a budget that does not reset; `null`: none).
 */
export const keyLimitsSchema = z.strictObject({
  requests_per_minute: z.number().int().min(1).max(1_000_000),
  concurrency: z.number().int().min(1).max(10_000),
  credits: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullable(),
});
export type KeyLimits = z.infer<typeof keyLimitsSchema>;

export const keyViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  /** The visible start of the current secret (`sk_1a2b3c4d`). */
  prefix: z.string(),
  scopes: z.array(z.enum(API_KEY_SCOPES)),
  limits: keyLimitsSchema,
  /** The only models the key may use; `null`: every model. */
  models: z.array(z.string()).nullable(),
  /** The only address ranges (CIDR) it may be used from; `null`: anywhere. */
  allowed_ips: z.array(z.string()).nullable(),
  /** Labels for people and usage reports (`{ "team": "search" }`). */
  metadata: z.record(z.string(), z.string()),
  created_at: z.string(),
  expires_at: z.string().nullable(),
  last_used_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
  status: z.enum(["active", "revoked", "expired"]),
});
export type KeyView = z.infer<typeof keyViewSchema>;

/** What is left of a key's limits right now (`GET /admin/keys/{id}`), as its RateLimit headers would say. */
export const keyRemainingSchema = z.object({
  requests: z.number().int().min(0),
  requests_reset_seconds: z.number().min(0),
  concurrency: z.number().int().min(0),
  in_flight: z.number().int().min(0),
  credits: z.number().nullable(),
});
export type KeyRemaining = z.infer<typeof keyRemainingSchema>;

/** A key as it is made or rotated: its view and, this once, its secret. */
export const keyWithSecretSchema = keyViewSchema.extend({
  key: z.string(),
  /** After a rotation: until when the previous secret keeps working. */
  previous_key_expires_at: z.string().optional(),
  grace_seconds: z.number().int().optional(),
});
export type KeyWithSecret = z.infer<typeof keyWithSecretSchema>;
