import { z } from "zod";

/** How long the edge keeps what it stores. */
export interface RetentionConfig {
  /**
   * Replay-cache and `url` images in R2 (`img/`, `gen/`), which R2's lifecycle rule deletes this long
   * after they are written (the rule comes from the same setting: infra's `edgeRetention`); the
   * coalescers' index forgets an entry as old.
   */
  cacheMs: number;
  /**
   * An async job's record and events, and its own (`no-store`) images; at most `cacheMs`, since R2's
   * rule for the cache deletes those images too. The route hands it to each job in its spec.
   */
  jobMs: number;
  /** Audit rows, pruned by the cron trigger behind a checkpoint; `null`: kept forever. */
  auditMs: number | null;
}

export const DEFAULT_CACHE_RETENTION_DAYS = 30;
export const DEFAULT_JOB_RETENTION_HOURS = 24;
/** Over a year, so a year's usage report by day (`GET /admin/usage`, at most 366 days) is whole. */
export const DEFAULT_AUDIT_RETENTION_DAYS = 400;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** A whole number of `unit`s from a [vars] string (or a TOML number), within bounds. */
export function wholeNumber(unit: string, min: number, max: number, fallback: number) {
  return z
    .preprocess(
      (value) => (typeof value === "string" && /^\s*\d+\s*$/.test(value) ? Number(value) : value),
      z
        .number(`must be a whole number of ${unit}`)
        .int(`must be a whole number of ${unit}`)
        .min(min, `must be at least ${min}`)
        .max(max, `must be at most ${max}`),
    )
    .default(fallback);
}

/** The zod shape of the retention vars, spread into the edge's env schema (`env.ts`). */
export const retentionEnvShape = {
  // R2's lifecycle counts whole days, at least one; the Cache API keeps hot copies for a day anyway.
  SDGATE_CACHE_RETENTION_DAYS: wholeNumber("days", 1, 3650, DEFAULT_CACHE_RETENTION_DAYS),
  SDGATE_JOB_RETENTION_HOURS: wholeNumber("hours", 1, 3650 * 24, DEFAULT_JOB_RETENTION_HOURS),
  SDGATE_AUDIT_RETENTION_DAYS: wholeNumber("days", 0, 36500, DEFAULT_AUDIT_RETENTION_DAYS),
};

type ParsedRetention = z.output<z.ZodObject<typeof retentionEnvShape>>;

/**
 * @example
 * const retention = retentionOf(parsedEnv); // in env.ts's transform
 */
export function retentionOf(env: ParsedRetention): RetentionConfig {
  return {
    cacheMs: env.SDGATE_CACHE_RETENTION_DAYS * DAY_MS,
    jobMs: env.SDGATE_JOB_RETENTION_HOURS * HOUR_MS,
    auditMs: env.SDGATE_AUDIT_RETENTION_DAYS === 0 ? null : env.SDGATE_AUDIT_RETENTION_DAYS * DAY_MS,
  };
}

/** Why the retention vars disagree, as a message for `SDGATE_JOB_RETENTION_HOURS`; `null` if they agree. */
export function retentionConflict(env: ParsedRetention): string | null {
  // A job's images sit under `img/` too: R2 must not delete them while the job still lists them.
  return env.SDGATE_JOB_RETENTION_HOURS * HOUR_MS > env.SDGATE_CACHE_RETENTION_DAYS * DAY_MS
    ? "must be at most SDGATE_CACHE_RETENTION_DAYS (R2 expires a job's images with the cache's)"
    : null;
}

/**
 * The replay cache's retention (`RetentionConfig.cacheMs`) from the one var it comes from, for a
 * Durable Object that has the env but not the edge's config. Throws when the var is invalid, as the
 * edge's env check does.
 *
 * @example
 * new StoredIndex(ctx.storage.sql, cacheRetentionMs(env));
 */
export function cacheRetentionMs(env: { SDGATE_CACHE_RETENTION_DAYS?: string }): number {
  return retentionEnvShape.SDGATE_CACHE_RETENTION_DAYS.parse(env.SDGATE_CACHE_RETENTION_DAYS) * DAY_MS;
}
