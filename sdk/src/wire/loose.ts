import type { ApiKeyScope, Backend, KeyLimits } from "@sdgate/shared";

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
 * One audit row (edge/src/audit/chain.ts, `AuditRow`). Belongs in a shared/src/audit.ts.
 *
 * @example
 * const row: AuditRow | undefined = (await admin.audit.list({ limit: 1 })).data[0];
 */
export interface AuditRow {
  seq: number;
  at: string;
  /** `admin` for the admin token, else the key id that acted. */
  actor: string;
  action: string;
  key_id: string | null;
  request_hash: string | null;
  backend: string | null;
  status: number | null;
  latency_ms: number | null;
  cost: number | null;
  detail: unknown;
  prev_hash: string;
  hash: string;
}

/**
 * `GET /admin/audit?key_id&limit&before` (edge/src/audit/list.ts). Belongs in a shared/src/audit.ts.
 *
 * @example
 * const page: AuditPage = await admin.audit.list({ before: previous.next_before ?? undefined });
 */
export interface AuditPage {
  object: "list";
  data: AuditRow[];
  /** Pass as `before` for the next (older) page; `null` on the last. */
  next_before: number | null;
}

/**
 * `GET /admin/audit`'s query: one key's entries, `limit` a page, older than `before`. Belongs in a shared/src/audit.ts.
 *
 * @example
 * const query: AuditListQuery = { key_id: "key_…", limit: 20 };
 */
export interface AuditListQuery {
  key_id?: string;
  limit?: number;
  before?: number;
}

interface ChainHead {
  seq: number;
  hash: string;
}

/**
 * `GET /admin/audit/verify?after_seq&limit` (edge/src/audit/verify.ts, `ChainReport`). Belongs in a shared/src/audit.ts.
 *
 * @example
 * const report: ChainReport = await admin.audit.verify({ after_seq: 5000, limit: 5000 });
 */
export interface ChainReport {
  /** The walk reached the end without a break: only ever true on the last page. */
  ok: boolean;
  /** The last page: the chain ended here, or broke. */
  complete: boolean;
  rows_checked: number;
  head: ChainHead;
  checkpoint: (ChainHead & { at: string; pruned_at: string }) | null;
  from: ChainHead | null;
  running_head: ChainHead | null;
  /** Pass as `after_seq` for the next page; `null` on the last. */
  next_after_seq: number | null;
  first_broken: { seq: number; reason: string; message: string } | null;
}

/**
 * `GET /admin/audit/verify`'s query. Belongs in a shared/src/audit.ts.
 *
 * @example
 * const query: AuditVerifyQuery = { after_seq: page.next_after_seq ?? 0, limit: 20_000 };
 */
export interface AuditVerifyQuery {
  after_seq?: number;
  /** Rows this page checks (default 5,000, at most 20,000). */
  limit?: number;
}

/**
 * `GET /admin/backends` (edge/src/routes/admin-backends.ts): the registry and each pool's state. Belongs in shared/src/registry.ts.
 *
 * @example
 * const { backends }: Fleet = await admin.backends.list();
 */
export interface Fleet {
  fleet: string;
  engine_version: string;
  models: Record<string, string>;
  retry: Record<string, unknown>;
  breaker: Record<string, unknown>;
  next_probe_at: string | null;
  backends: Array<
    Backend & {
      weight: number;
      breaker: { state: string; consecutive_failures: number } & Record<string, unknown>;
      last_probe: {
        at: string | null;
        ok: boolean;
        status: number | null;
        latency_ms: number;
        detail: unknown;
      } | null;
      load: {
        queue_depth: number;
        estimated_wait_ms: number;
        reported_at: string | null;
        in_flight_here: number;
      } | null;
    }
  >;
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
