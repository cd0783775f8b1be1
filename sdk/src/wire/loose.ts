import type { ApiKeyScope, KeyLimits } from "@sdgate/shared";

/*
 * Shapes of routes that have no schema in the contract (@sdgate/shared) at all. They are typed here
 * from the edge's routes as they stand (edge/src/routes/*), and checked at run time only to be a JSON
 * object: an edge that changes them is not caught by a schema, as it would be for a contract type.
 * Each should become a schema in shared/, which the edge answers through and the SDK parses with; the
 * file each belongs beside is named on each.
 */

/**
 * `GET /v1/webhooks/secret` (edge/src/routes/jobs-webhook-secret.ts). Belongs in shared/src/jobs.ts.
 *
 * @example
 * const { key }: WebhookSecret = await client.webhooks.secret();
 */
export interface WebhookSecret {
  object: "webhook.secret";
  /** `whsec_<base64>`: what {@link verifyWebhook} takes. */
  key: string;
  /** The headers a delivery carries (`webhook-id`, `webhook-timestamp`, `webhook-signature`). */
  headers: string[];
}

/**
 * `POST /admin/keys` (edge/src/routes/admin-keys/bodies.ts, `createKeySchema`). Belongs in shared/src/keys.ts.
 *
 * @example
 * const body: CreateKeyBody = { name: "ci", limits: { requests_per_minute: 60 }, allowed_ips: ["10.0.0.0/8"] };
 */
export interface CreateKeyBody {
  name: string;
  /** Default both. */
  scopes?: ApiKeyScope[];
  /** Each absent limit takes the edge's default (600 rpm, 16 concurrent, no credit budget). */
  limits?: Partial<KeyLimits>;
  models?: string[];
  /** RFC 3339, in the future, at most 10 years away. */
  expires_at?: string;
  /** CIDR ranges or single addresses. */
  allowed_ips?: string[];
  metadata?: Record<string, string>;
}

/**
 * `PATCH /admin/keys/{id}` (`updateKeySchema`): only what changes; `null` clears. Belongs in shared/src/keys.ts.
 *
 * @example
 * const body: UpdateKeyBody = { models: null, expires_at: "2027-06-30T00:00:00Z" };
 */
export interface UpdateKeyBody {
  name?: string;
  scopes?: ApiKeyScope[];
  limits?: Partial<KeyLimits>;
  models?: string[] | null;
  expires_at?: string | null;
  allowed_ips?: string[] | null;
  metadata?: Record<string, string> | null;
}

/**
 * `POST /admin/keys/{id}/rotate` (`rotateSchema`). Belongs in shared/src/keys.ts.
 *
 * @example
 * const body: RotateKeyBody = { grace_seconds: 3600 };
 */
export interface RotateKeyBody {
  /** How long the old secret keeps working; default a day, at most 30 days. */
  grace_seconds?: number;
}

/**
 * `GET /admin/usage`'s query (edge/src/routes/admin-usage.ts). Belongs in shared/src/usage.ts.
 *
 * @example
 * const query: UsageQuery = { from: "2026-11-01", interval: "day", group_by: "metadata.team" };
 */
export interface UsageQuery {
  key_id?: string;
  /** RFC 3339 or a date; default 30 days before `to`. */
  from?: string | Date;
  /** Default now. */
  to?: string | Date;
  interval?: "day" | "hour";
  /** `key`, or `metadata.<label>`. */
  group_by?: string;
}

/**
 * `GET /healthz`.
 *
 * @example
 * const health: Health = await client.health();
 */
export interface Health {
  status: "ok";
}
