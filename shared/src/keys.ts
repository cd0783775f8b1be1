import { z } from "zod";
import { TEAM_ID_PATTERN, USER_ID_PATTERN } from "./directory.ts";

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

/** A monthly budget's soft threshold unless one is given: an alert at 80 % of it. */
export const DEFAULT_SOFT_PERCENT = 80;

/**
 * A key's limits: `requests_per_minute` (a token bucket), `concurrency` (generations admitted and not
 * yet settled), `credits` (a budget that does not reset; `null`: none), `monthly_credits` (a budget
 * that starts again at each UTC calendar month; absent or `null`: none) and `soft_percent` (the share
 * of the monthly budget whose use sends an alert; absent: {@link DEFAULT_SOFT_PERCENT}). The monthly
 * fields are optional so that every key stored before them still reads as it was.
 */
export const keyLimitsSchema = z.strictObject({
  requests_per_minute: z.number().int().min(1).max(1_000_000),
  concurrency: z.number().int().min(1).max(10_000),
  credits: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullable(),
  monthly_credits: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullable().optional(),
  soft_percent: z.number().int().min(1).max(100).optional(),
});
export type KeyLimits = z.infer<typeof keyLimitsSchema>;

/** A key's status as the admin API reports it, and as its list filters by. */
export const KEY_STATUSES = ["active", "revoked", "expired"] as const;
export type KeyStatus = (typeof KEY_STATUSES)[number];

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
  status: z.enum(KEY_STATUSES),
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

/** Limits of a key made without some of them, and of keys seeded straight into storage. */
export const DEFAULT_KEY_LIMITS: KeyLimits = { requests_per_minute: 600, concurrency: 16, credits: null };

/** `limits` as a new key's body gives them: every field optional, defaults from {@link DEFAULT_KEY_LIMITS}. */
export const keyLimitsInputSchema = z
  .strictObject({
    requests_per_minute: keyLimitsSchema.shape.requests_per_minute.default(
      DEFAULT_KEY_LIMITS.requests_per_minute,
    ),
    concurrency: keyLimitsSchema.shape.concurrency.default(DEFAULT_KEY_LIMITS.concurrency),
    credits: keyLimitsSchema.shape.credits.default(DEFAULT_KEY_LIMITS.credits),
    monthly_credits: keyLimitsSchema.shape.monthly_credits,
    soft_percent: keyLimitsSchema.shape.soft_percent,
  })
  .default(DEFAULT_KEY_LIMITS);

/** The furthest a key's expiry may lie: 10 years (a longer-lived key should simply not expire). */
export const MAX_KEY_LIFETIME_MS = 10 * 365 * 24 * 60 * 60 * 1000;
/** The most models one key may be limited to. */
export const MAX_KEY_MODELS = 64;
/** The most address ranges one key may list. */
export const MAX_ALLOWED_IP_RANGES = 64;
/** The most labels one key may carry. */
export const MAX_KEY_LABELS = 16;
/** How long a rotated key's old secret keeps working unless the rotation says: a day. */
export const DEFAULT_ROTATION_GRACE_S = 24 * 60 * 60;
/** The longest grace period a rotation may give the old secret: 30 days. */
export const MAX_ROTATION_GRACE_S = 30 * 24 * 60 * 60;

/**
 * A label's name (`team`), as a key's `metadata` and a usage report's `group_by=metadata.<label>`
 * take it: letters, digits, `_` and `-`, so that it is safe in a JSON path.
 */
export const LABEL_NAME = /^[A-Za-z0-9_-]{1,40}$/;

const CIDR_RANGE = "must be a CIDR range such as 10.0.0.0/8 or 2001:db8::/32";

const name = z
  .string("must be a string")
  .trim()
  .min(1, "must not be empty")
  .max(100, "must be at most 100 characters");

// `admin` was a scope once; it is refused by name so that whoever asks for it learns where it went.
const scopes = z
  .array(
    z.enum(
      API_KEY_SCOPES,
      `must be one of ${API_KEY_SCOPES.join(", ")} (there is no admin scope: /admin/* takes SDGATE_ADMIN_TOKEN)`,
    ),
  )
  .min(1, "must name at least one scope")
  .transform((list) => [...new Set(list)]);

/** The only models the key may use (absent: every model); which models exist is the server's to check. */
const models = z
  .array(z.string("must be a model id").min(1).max(128), "must be an array of model ids")
  .min(1, "must name at least one model (leave it out for every model)")
  .max(MAX_KEY_MODELS, `must name at most ${MAX_KEY_MODELS} models`)
  .transform((list) => [...new Set(list)]);

/** Labels for people and usage reports (`{ "team": "search" }`); names as `group_by` accepts them. */
const metadata = z
  .record(
    z.string().regex(LABEL_NAME, "label names are 1–40 letters, digits, _ or -"),
    z.string("label values must be strings").max(200, "label values must be at most 200 characters"),
    "must be an object of string labels",
  )
  .refine(
    (labels) => Object.keys(labels).length <= MAX_KEY_LABELS,
    `must have at most ${MAX_KEY_LABELS} labels`,
  );

const expiresAt = z.iso
  .datetime({ offset: true, message: "must be an RFC 3339 date and time, e.g. 2027-01-31T00:00:00Z" })
  .transform((text) => new Date(text).toISOString())
  .refine((iso) => Date.parse(iso) > Date.now(), "must be in the future")
  .refine((iso) => Date.parse(iso) <= Date.now() + MAX_KEY_LIFETIME_MS, "must be at most 10 years away");

/**
 * The bodies of `POST /admin/keys` and `PATCH /admin/keys/{id}`, reading each `allowed_ips` entry
 * with `canonicalRange` (`null`: not a range). Reading CIDR ranges takes an IP library that the
 * contract does not carry, so the edge passes its own, which also writes each range canonically
 * (`10.1.2.3/8` → `10.0.0.0/8`); {@link createKeyBodySchema} and {@link updateKeyBodySchema} take
 * any text there.
 *
 * @example
 * const { create, update } = keyBodySchemas(canonicalRange); // edge/src/keys/allowed-ips.ts
 */
export function keyBodySchemas(canonicalRange: (text: string) => string | null = (text) => text) {
  const allowedIps = z
    .array(
      z.string(CIDR_RANGE).transform((text, ctx) => {
        const range = canonicalRange(text.trim());
        if (range === null) {
          ctx.addIssue({ code: "custom", message: CIDR_RANGE });
          return z.NEVER;
        }
        return range;
      }),
      "must be an array of CIDR ranges",
    )
    .min(1, "must name at least one range (leave it out for any address)")
    .max(MAX_ALLOWED_IP_RANGES, `must name at most ${MAX_ALLOWED_IP_RANGES} ranges`)
    .transform((list) => [...new Set(list)]);
  return {
    create: z.strictObject({
      name,
      scopes: scopes.default(["generate", "read"]),
      limits: keyLimitsInputSchema,
      models: models.optional(),
      /** RFC 3339, in the future, at most 10 years away. */
      expires_at: expiresAt.optional(),
      /** CIDR ranges or single addresses the key may be used from. */
      allowed_ips: allowedIps.optional(),
      metadata: metadata.optional(),
      /** The team that owns the key (a key is a service identity of its team); absent: none. */
      team_id: z
        .string("must be a team's id (team_…)")
        .regex(TEAM_ID_PATTERN, "must be a team's id (team_…)")
        .optional(),
    }),
    /** Only what changes; `null` clears `models` (every model), `expires_at`, `allowed_ips` or `metadata`. */
    update: z
      .strictObject({
        name: name.optional(),
        scopes: scopes.optional(),
        limits: keyLimitsSchema.partial().optional(),
        models: models.nullable().optional(),
        expires_at: expiresAt.nullable().optional(),
        allowed_ips: allowedIps.nullable().optional(),
        metadata: metadata.nullable().optional(),
      })
      .refine(
        (body) => Object.values(body).some((value) => value !== undefined),
        "name at least one of name, scopes, limits, models, expires_at, allowed_ips, metadata to change",
      ),
  };
}

const contractBodies = keyBodySchemas();

/**
 * `POST /admin/keys`: a new key's name and, optionally, its scopes (default both), limits (each
 * absent one the default), models, expiry, address ranges and labels.
 *
 * @example
 * createKeyBodySchema.parse({ name: "ci", limits: { requests_per_minute: 60 } }).scopes; // ["generate", "read"]
 */
export const createKeyBodySchema = contractBodies.create;
/**
 * A new key's body as a client writes it (defaults fill in at the edge).
 *
 * @example
 * const body: CreateKeyBody = { name: "ci", limits: { requests_per_minute: 60 }, allowed_ips: ["10.0.0.0/8"] };
 */
export type CreateKeyBody = z.input<typeof createKeyBodySchema>;

/**
 * `PATCH /admin/keys/{id}`: only what changes; `null` clears.
 *
 * @example
 * updateKeyBodySchema.safeParse({}).success; // false: it must change something
 */
export const updateKeyBodySchema = contractBodies.update;
/**
 * A change to a key.
 *
 * @example
 * const body: UpdateKeyBody = { models: null, expires_at: "2027-06-30T00:00:00Z" };
 */
export type UpdateKeyBody = z.input<typeof updateKeyBodySchema>;

/**
 * `POST /admin/keys/{id}/rotate`: how long the old secret keeps working.
 *
 * @example
 * rotateKeyBodySchema.parse({}).grace_seconds; // DEFAULT_ROTATION_GRACE_S
 */
export const rotateKeyBodySchema = z.strictObject({
  grace_seconds: z
    .number("must be a number of seconds")
    .int("must be a whole number of seconds")
    .min(0)
    .max(MAX_ROTATION_GRACE_S)
    .default(DEFAULT_ROTATION_GRACE_S),
});
/**
 * A rotation's body.
 *
 * @example
 * const body: RotateKeyBody = { grace_seconds: 3600 };
 */
export type RotateKeyBody = z.input<typeof rotateKeyBodySchema>;

/**
 * `GET /admin/keys/{id}`: the key and what is left of its limits now (`null` when its limits state
 * could not be read).
 *
 * @example
 * const { remaining } = keyDetailSchema.parse(await response.json());
 */
export const keyDetailSchema = keyViewSchema.extend({ remaining: keyRemainingSchema.nullable() });
/**
 * A key with what is left of its limits.
 *
 * @example
 * const { remaining }: KeyDetail = await admin.keys.get(id);
 */
export type KeyDetail = z.infer<typeof keyDetailSchema>;

/**
 * `DELETE /admin/keys/{id}`: the key, revoked.
 *
 * @example
 * revokedKeySchema.parse(await response.json()).revoked; // true
 */
export const revokedKeySchema = keyViewSchema.extend({ revoked: z.literal(true) });
/**
 * A key as revoking it answers.
 *
 * @example
 * const { revoked_at }: RevokedKey = await admin.keys.revoke(id);
 */
export type RevokedKey = z.infer<typeof revokedKeySchema>;

/** The most keys one `GET /admin/keys` answers with, and how many unless it asks. */
export const MAX_KEY_PAGE_KEYS = 500;
export const DEFAULT_KEY_PAGE_KEYS = 100;

/** The longest text `GET /admin/keys?q=` searches for. */
export const MAX_KEY_SEARCH_CHARS = 100;

/**
 * `GET /admin/keys`'s query: `limit` a page, after the previous page's `cursor`, only the keys that
 * pass every filter given (the team's, in one status, whose name, id or prefix holds `q`, made by one
 * person). The filters are applied before paging, so each page is full; pass the same filters with
 * `cursor` to go on.
 *
 * @example
 * keyListQuerySchema.parse({ status: "active", q: "ci" }).limit; // DEFAULT_KEY_PAGE_KEYS
 */
export const keyListQuerySchema = z.object({
  limit: z.coerce.number<number>().int().min(1).max(MAX_KEY_PAGE_KEYS).default(DEFAULT_KEY_PAGE_KEYS),
  /** The previous page's `next_cursor`. */
  cursor: z.string().max(512).optional(),
  team_id: z.string().regex(TEAM_ID_PATTERN, "must be a team's id (team_…)").optional(),
  status: z.enum(KEY_STATUSES, `must be one of ${KEY_STATUSES.join(", ")}`).optional(),
  /** Part of the name, id or prefix, whatever its case. */
  q: z
    .string()
    .trim()
    .min(1, "must not be empty")
    .max(MAX_KEY_SEARCH_CHARS, `must be at most ${MAX_KEY_SEARCH_CHARS} characters`)
    .optional(),
  /** The person who made the key (`usr_…`). */
  created_by: z.string().regex(USER_ID_PATTERN, "must be a person's id (usr_…)").optional(),
});
/**
 * What `GET /admin/keys` may be asked.
 *
 * @example
 * const query: KeyListQuery = { status: "active", team_id: "team_…", cursor: page.next_cursor ?? undefined };
 */
export type KeyListQuery = z.input<typeof keyListQuerySchema>;

/**
 * `GET /admin/keys`: keys newest first, never their secrets.
 *
 * @example
 * keyListSchema.parse(await response.json()).next_cursor;
 */
export const keyListSchema = z.object({
  object: z.literal("list"),
  data: z.array(keyViewSchema),
  /** Pass as `cursor` for the next page; `null` on the last. */
  next_cursor: z.string().nullable(),
});
/**
 * One page of keys.
 *
 * @example
 * const { data, next_cursor }: KeyList = await admin.keys.list({ limit: 50 });
 */
export type KeyList = z.infer<typeof keyListSchema>;
