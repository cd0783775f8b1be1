import { z } from "zod";

/**
 * A key's limits, enforced exactly by its Durable Object ({@link KeyState}):
 * - `requests_per_minute`: a token bucket of that capacity, refilled continuously at rpm / 60 per second.
 * - `concurrency`: generations admitted and not yet settled.
 * - `credits`: a budget in credits (see `cost.ts`); `null` is unlimited. It does not reset.
 */
export const keyLimitsSchema = z.strictObject({
  requests_per_minute: z.number().int().min(1).max(1_000_000),
  concurrency: z.number().int().min(1).max(10_000),
  credits: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullable(),
});
export type KeyLimits = z.infer<typeof keyLimitsSchema>;

/** Limits of a key created without some of them, and of keys seeded straight into KV (`npm start`). */
export const DEFAULT_KEY_LIMITS: KeyLimits = { requests_per_minute: 600, concurrency: 16, credits: null };

/** `limits` in `POST /admin/keys`: every field optional, defaults from {@link DEFAULT_KEY_LIMITS}. */
export const keyLimitsInputSchema = z
  .strictObject({
    requests_per_minute: keyLimitsSchema.shape.requests_per_minute.default(
      DEFAULT_KEY_LIMITS.requests_per_minute,
    ),
    concurrency: keyLimitsSchema.shape.concurrency.default(DEFAULT_KEY_LIMITS.concurrency),
    credits: keyLimitsSchema.shape.credits.default(DEFAULT_KEY_LIMITS.credits),
  })
  .default(DEFAULT_KEY_LIMITS);

/** Which limit refused an admission; the 429 envelope's `param`. */
export type LimitName = keyof KeyLimits;
