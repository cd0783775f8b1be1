import { z } from "zod";
import { type RetentionConfig, retentionSchema } from "../config/schema.ts";

const DAY_S = 86_400;
/** R2's own default for unfinished multipart uploads, kept: setting a lifecycle replaces every rule. */
const ABORT_MULTIPART_AFTER_DAYS = 7;

/** One rule of an R2 bucket's lifecycle, as Cloudflare's API and `wrangler r2 bucket lifecycle set --file` take it. */
export interface R2LifecycleRule {
  id: string;
  enabled: boolean;
  conditions: { prefix: string };
  deleteObjectsTransition?: { condition: { type: "Age"; maxAge: number } };
  abortMultipartUploadsTransition?: { condition: { type: "Age"; maxAge: number } };
}

/** What the edge's deployment needs from `sdgate:retention`: its vars and its bucket's lifecycle. */
export interface EdgeRetention {
  /** `wrangler deploy --var NAME:value`, read by edge/src/env.ts. */
  vars: {
    SDGATE_CACHE_RETENTION_DAYS: string;
    SDGATE_JOB_RETENTION_HOURS: string;
    SDGATE_AUDIT_RETENTION_DAYS: string;
  };
  /** The `IMAGES` bucket's lifecycle (the file `wrangler r2 bucket lifecycle set` reads). */
  r2Lifecycle: { rules: R2LifecycleRule[] };
}

function expireAfterDays(id: string, prefix: string, days: number): R2LifecycleRule {
  return {
    id,
    enabled: true,
    conditions: { prefix },
    deleteObjectsTransition: { condition: { type: "Age", maxAge: days * DAY_S } },
  };
}

/**
 * The edge's retention, from the stack's `sdgate:retention`. R2 deletes the replay cache's objects
 * (`img/{tenant}/{cacheKey}/{i}`, `gen/{tenant}/{cacheKey}.json`, edge/src/cache/store.ts) `cacheDays`
 * after they were written; a `no-store` job's own images lie under the same prefixes
 * (`img/{tenant}/job-{id}/…`), deleted by the job when it expires, with this rule as the backstop (the
 * schema keeps `jobHours` within `cacheDays`). The same number goes to the edge as
 * SDGATE_CACHE_RETENTION_DAYS, after which its coalescers' index stops calling an entry stored.
 *
 * @example
 * const { vars, r2Lifecycle } = edgeRetention({ cacheDays: 30, jobHours: 24, auditDays: 400 });
 */
export function edgeRetention(retention: RetentionConfig): EdgeRetention {
  return {
    vars: {
      SDGATE_CACHE_RETENTION_DAYS: String(retention.cacheDays),
      SDGATE_JOB_RETENTION_HOURS: String(retention.jobHours),
      SDGATE_AUDIT_RETENTION_DAYS: String(retention.auditDays),
    },
    r2Lifecycle: {
      rules: [
        expireAfterDays("sdgate-cache-images", "img/", retention.cacheDays),
        expireAfterDays("sdgate-cache-records", "gen/", retention.cacheDays),
        {
          id: "sdgate-abort-multipart",
          enabled: true,
          conditions: { prefix: "" },
          abortMultipartUploadsTransition: {
            condition: { type: "Age", maxAge: ABORT_MULTIPART_AFTER_DAYS * DAY_S },
          },
        },
      ],
    },
  };
}

const wholeNumberText = z.string().regex(/^\d+$/, "must be a whole number");
const savedRetention = z.object({
  vars: z.strictObject({
    SDGATE_CACHE_RETENTION_DAYS: wholeNumberText,
    SDGATE_JOB_RETENTION_HOURS: wholeNumberText,
    SDGATE_AUDIT_RETENTION_DAYS: wholeNumberText,
  }),
  r2Lifecycle: z.object({ rules: z.array(z.record(z.string(), z.unknown())).min(1) }),
});

/**
 * The retention `npm run registry` saved, read back: checked for shape, its numbers against
 * `sdgate:retention`'s own bounds and its lifecycle against its numbers, so a hand-edited file cannot
 * deploy what the stack would refuse, nor an R2 rule out of step with the edge's index.
 */
export function edgeRetentionProblems(
  value: unknown,
): { ok: true; value: EdgeRetention } | { ok: false; problems: string } {
  const saved = savedRetention.safeParse(value);
  if (!saved.success) {
    return {
      ok: false,
      problems: saved.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("\n"),
    };
  }
  const { vars } = saved.data;
  const bounds = retentionSchema.safeParse({
    cacheDays: Number(vars.SDGATE_CACHE_RETENTION_DAYS),
    jobHours: Number(vars.SDGATE_JOB_RETENTION_HOURS),
    auditDays: Number(vars.SDGATE_AUDIT_RETENTION_DAYS),
  });
  if (!bounds.success) {
    return {
      ok: false,
      problems: bounds.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("\n"),
    };
  }
  // The lifecycle is derived from the vars; one edited apart from them would split the two apart.
  const derived = edgeRetention(bounds.data);
  if (JSON.stringify(saved.data.r2Lifecycle) !== JSON.stringify(derived.r2Lifecycle)) {
    return {
      ok: false,
      problems: "r2Lifecycle: does not match SDGATE_CACHE_RETENTION_DAYS; run `npm run registry` again",
    };
  }
  return { ok: true, value: derived };
}
