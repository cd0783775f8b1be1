import { type KeyLimits, keyLimitsSchema } from "@sdgate/shared";
import { z } from "zod";

// A key's limits are part of the contract (`@sdgate/shared`); its Durable Object (`KeyState`) enforces
// them exactly: the bucket refills continuously at rpm / 60 per second, credits are in `cost.ts`'s units.
export { type KeyLimits, keyLimitsSchema };

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
