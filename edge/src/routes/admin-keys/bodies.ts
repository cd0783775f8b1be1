import { SdgateError } from "@sdgate/shared";
import { z } from "zod";
import { LABEL_NAME } from "../../audit/usage.ts";
import { canonicalRange, MAX_ALLOWED_IP_RANGES } from "../../keys/allowed-ips.ts";
import { API_KEY_SCOPES } from "../../keys/api-key.ts";
import { DEFAULT_ROTATION_GRACE_S } from "../../keys/service.ts";
import { keyLimitsInputSchema, keyLimitsSchema } from "../../limits/policy.ts";

/** The longest grace period a rotation may give the old secret: 30 days. */
export const MAX_ROTATION_GRACE_S = 30 * 24 * 60 * 60;
/** The furthest a key's expiry may lie: 10 years (a longer-lived key should simply not expire). */
export const MAX_KEY_LIFETIME_MS = 10 * 365 * 24 * 60 * 60 * 1000;
/** The most models one key may be limited to. */
export const MAX_KEY_MODELS = 64;

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

/** The only models the key may use (absent: every model); {@link checkModels} checks the catalog. */
const models = z
  .array(z.string("must be a model id").min(1).max(128), "must be an array of model ids")
  .min(1, "must name at least one model (leave it out for every model)")
  .max(MAX_KEY_MODELS, `must name at most ${MAX_KEY_MODELS} models`)
  .transform((list) => [...new Set(list)]);

/** CIDR ranges (or single addresses) the key may be used from, written canonically. */
const allowedIps = z
  .array(
    z.string("must be a CIDR range such as 10.0.0.0/8 or 2001:db8::/32").transform((text, ctx) => {
      const range = canonicalRange(text.trim());
      if (range === null) {
        ctx.addIssue({ code: "custom", message: "must be a CIDR range such as 10.0.0.0/8 or 2001:db8::/32" });
        return z.NEVER;
      }
      return range;
    }),
    "must be an array of CIDR ranges",
  )
  .min(1, "must name at least one range (leave it out for any address)")
  .max(MAX_ALLOWED_IP_RANGES, `must name at most ${MAX_ALLOWED_IP_RANGES} ranges`)
  .transform((list) => [...new Set(list)]);

/** The most labels one key may carry. */
export const MAX_KEY_LABELS = 16;

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

/** `POST /admin/keys`. */
export const createKeySchema = z.strictObject({
  name,
  scopes: scopes.default(["generate", "read"]),
  limits: keyLimitsInputSchema,
  models: models.optional(),
  expires_at: expiresAt.optional(),
  allowed_ips: allowedIps.optional(),
  metadata: metadata.optional(),
});

/** `PATCH /admin/keys/{id}`: only what changes; `null` clears `models` (every model) or `expires_at`. */
export const updateKeySchema = z
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
  );

/** `POST /admin/keys/{id}/rotate`. */
export const rotateSchema = z.strictObject({
  grace_seconds: z
    .number("must be a number of seconds")
    .int("must be a whole number of seconds")
    .min(0)
    .max(MAX_ROTATION_GRACE_S)
    .default(DEFAULT_ROTATION_GRACE_S),
});

/** Refuses a `models` list naming a model this server does not serve: a typo would lock the key out. */
export function checkModels(
  list: readonly string[] | null | undefined,
  served: readonly { id: string }[],
): void {
  const unknown = list?.find((id) => !served.some((model) => model.id === id));
  if (unknown === undefined) return;
  throw new SdgateError(
    "invalid_request",
    `Invalid 'models': this server serves no model '${unknown.slice(0, 128)}' (it serves ${served.map((model) => model.id).join(", ")}).`,
    { param: "models" },
  );
}
