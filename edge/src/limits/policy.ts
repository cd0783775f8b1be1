import type { KeyLimits } from "@sdgate/shared";

// A key's limits and their defaults are part of the contract (`@sdgate/shared`); its Durable Object
// (`KeyState`) enforces them exactly: the bucket refills continuously at rpm / 60 per second, credits
// are in `cost.ts`'s units. Keys seeded straight into KV (`npm start`) take the defaults too.
export { DEFAULT_KEY_LIMITS, type KeyLimits, keyLimitsSchema } from "@sdgate/shared";

/** Which limit refused an admission; the 429 envelope's `param`. */
export type LimitName = keyof KeyLimits;
