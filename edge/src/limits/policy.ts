import { DEFAULT_SOFT_PERCENT, type KeyLimits } from "@sdgate/shared";

// A key's limits and their defaults are part of the contract (`@sdgate/shared`); its Durable Object
// (`KeyState`) enforces them exactly: the bucket refills continuously at rpm / 60 per second, credits
// are in `cost.ts`'s units. Keys seeded straight into KV (`npm start`) take the defaults too.
export { DEFAULT_KEY_LIMITS, type KeyLimits, keyLimitsSchema } from "@sdgate/shared";

/** Which limit refused an admission; the error envelope's `param`. */
export type LimitName =
  | "requests_per_minute"
  | "concurrency"
  | "credits"
  | "monthly_credits"
  /** The monthly credits of the key's team (`TeamBudget`). */
  | "team_monthly_credits";

/** A key's monthly budget: its credits and soft threshold; `null` without one. */
export function monthlyBudgetOf(limits: KeyLimits): { credits: number; softPercent: number } | null {
  const credits = limits.monthly_credits ?? null;
  if (credits === null) return null;
  return { credits, softPercent: limits.soft_percent ?? DEFAULT_SOFT_PERCENT };
}
