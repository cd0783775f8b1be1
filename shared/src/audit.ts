import { z } from "zod";
import { instantSchema } from "./instant.ts";
import { KEY_ID_PATTERN } from "./keys.ts";

/**
 * The hash-chained audit log as the admin API shows it (`/admin/audit`, `/admin/audit/verify`): what
 * the edge writes and every client reads. How rows are chained is the edge's (edge/src/audit/chain.ts).
 */

/**
 * One audit row: an action, who did it and how it ended, chained to the row before it by `prev_hash`.
 *
 * @example
 * const row = auditRowSchema.parse(page.data[0]);
 */
export const auditRowSchema = z.object({
  seq: z.number().int().min(1),
  at: z.string(),
  /** `admin` for the admin token, else the key id that acted. */
  actor: z.string(),
  /** `key.create`, `key.list`, `audit.verify`, `generation`… */
  action: z.string(),
  key_id: z.string().nullable(),
  request_hash: z.string().nullable(),
  backend: z.string().nullable(),
  /** The HTTP status the action ended with. */
  status: z.number().int().nullable(),
  latency_ms: z.number().nullable(),
  /** Credits charged (generations). */
  cost: z.number().nullable(),
  /** What the action recorded about itself: any JSON, or `null`. */
  detail: z.unknown(),
  prev_hash: z.string(),
  hash: z.string(),
});
/**
 * One entry of the audit log.
 *
 * @example
 * const row: AuditRow | undefined = (await admin.audit.list({ limit: 1 })).data[0];
 */
export type AuditRow = z.infer<typeof auditRowSchema>;

/**
 * `GET /admin/audit`: rows newest first.
 *
 * @example
 * const { data, next_before } = auditPageSchema.parse(await response.json());
 */
export const auditPageSchema = z.object({
  object: z.literal("list"),
  data: z.array(auditRowSchema),
  /** Pass as `before` for the next (older) page; `null` on the last. */
  next_before: z.number().int().nullable(),
});
/**
 * One page of the audit log.
 *
 * @example
 * const page: AuditPage = await admin.audit.list({ before: previous.next_before ?? undefined });
 */
export type AuditPage = z.infer<typeof auditPageSchema>;

/** The most rows one `GET /admin/audit` answers with, and how many unless it asks. */
export const MAX_AUDIT_PAGE_ROWS = 500;
export const DEFAULT_AUDIT_PAGE_ROWS = 100;

/**
 * An action as `GET /admin/audit?action=` takes it: one action (`key.create`, `generation`), or every
 * action of a kind, written as its prefix up to the dot (`key.`).
 */
export const AUDIT_ACTION_FILTER = /^[a-z][a-z0-9_]{0,39}(\.[a-z0-9_]{0,40})?$/;
/** The longest actor or target `GET /admin/audit` filters by. */
export const MAX_AUDIT_FILTER_CHARS = 200;

const filterText = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(MAX_AUDIT_FILTER_CHARS, `must be at most ${MAX_AUDIT_FILTER_CHARS} characters`);

/**
 * `GET /admin/audit`'s query: `limit` a page, older than `before`, only the rows that pass every filter
 * given: about one key, one action or kind of action, by one actor, about one target, in [`from`,
 * `to`). The filters are applied before paging, so each page is full; pass the same filters with
 * `before` to go on.
 *
 * @example
 * const { limit } = auditListQuerySchema.parse({ key_id: "key_0123", action: "key." }); // 100
 */
export const auditListQuerySchema = z
  .object({
    key_id: z.string().regex(KEY_ID_PATTERN, "must be a key id (key_…)").optional(),
    limit: z.coerce.number<number>().int().min(1).max(MAX_AUDIT_PAGE_ROWS).default(DEFAULT_AUDIT_PAGE_ROWS),
    /** A `seq`: only rows below it (the previous page's `next_before`). */
    before: z.coerce.number<number>().int().min(1).optional(),
    /** One action (`key.create`), or every action of a kind by its prefix up to the dot (`key.`). */
    action: z
      .string()
      .regex(
        AUDIT_ACTION_FILTER,
        "must be an action (key.create, generation) or a prefix ending in a dot (key.)",
      )
      .optional(),
    /** Who acted, as rows name them (`user:usr_…`, `break_glass`, a key id), or a person's email. */
    actor: filterText.optional(),
    /** What the action was about: the key id, or the team, person, model, evaluation or promotion id it recorded. */
    target: filterText.optional(),
    /** RFC 3339 or a date: only rows at or after it. */
    from: instantSchema.optional(),
    /** RFC 3339 or a date: only rows before it. */
    to: instantSchema.optional(),
  })
  .refine((query) => query.from === undefined || query.to === undefined || query.from < query.to, {
    message: "must lie before to",
    path: ["from"],
  });
/**
 * What `GET /admin/audit` may be asked (as a client writes it: defaults fill in at the edge).
 *
 * @example
 * const query: AuditListQuery = { action: "key.", actor: "user:usr_…", from: "2026-12-01", limit: 20 };
 */
export type AuditListQuery = z.input<typeof auditListQuerySchema>;

/**
 * A row of the chain by its place and hash: the head the log remembers, a page's start and end.
 *
 * @example
 * const { seq, hash } = chainHeadSchema.parse(report.head);
 */
export const chainHeadSchema = z.object({
  /** 0 before the first row. */
  seq: z.number().int().min(0),
  hash: z.string(),
});
/**
 * A place in the chain.
 *
 * @example
 * const head: ChainHead = (await admin.audit.verify()).head;
 */
export type ChainHead = z.infer<typeof chainHeadSchema>;

/**
 * Where the chain starts once retention deleted its oldest rows: the last deleted row's place and hash,
 * which the first row kept points at.
 *
 * @example
 * const checkpoint = auditCheckpointSchema.nullable().parse(report.checkpoint);
 */
export const auditCheckpointSchema = chainHeadSchema.extend({
  /** That row's `at`. */
  at: z.string(),
  /** When it was deleted. */
  pruned_at: z.string(),
});
/**
 * The retention checkpoint.
 *
 * @example
 * const since: string | undefined = (await admin.audit.verify()).checkpoint?.pruned_at;
 */
export type AuditCheckpoint = z.infer<typeof auditCheckpointSchema>;

/**
 * Why the chain does not hold at a row: a missing row (`gap`), a row not pointing at the one before,
 * a row whose content does not match its hash (edited), rows missing at the end (`truncated`), or a
 * retention checkpoint that no `audit.prune` row attests.
 */
export const CHAIN_BREAK_REASONS = [
  "gap",
  "prev_hash_mismatch",
  "hash_mismatch",
  "truncated",
  "unattested_checkpoint",
] as const;
export type ChainBreakReason = (typeof CHAIN_BREAK_REASONS)[number];

/** The rows one `GET /admin/audit/verify` checks unless it asks for fewer. */
export const DEFAULT_VERIFY_ROWS = 5_000;
/** The most rows one request checks: each is a SHA-256 of its canonical JSON, so this bounds its CPU time. */
export const MAX_VERIFY_ROWS = 20_000;

/**
 * `GET /admin/audit/verify`: one page of a walk along the chain, recomputing each row's hash.
 *
 * @example
 * const report = chainReportSchema.parse(await response.json());
 * if (report.first_broken) console.error(report.first_broken.message);
 */
export const chainReportSchema = z.object({
  /** The walk reached the end of the chain and found no break: only ever true on the last page. */
  ok: z.boolean(),
  /** This is the last page: the chain ended here (and was checked against `head`), or it broke. */
  complete: z.boolean(),
  /** Rows checked by this page. */
  rows_checked: z.number().int().min(0),
  /** The head the edge remembers committing. */
  head: chainHeadSchema,
  /** `null` when nothing was ever pruned. */
  checkpoint: auditCheckpointSchema.nullable(),
  /** The row this page continued from, as read again by the edge; `null` when that row is gone. */
  from: chainHeadSchema.nullable(),
  /** The last row this page verified (`from` if none): the next page continues from it. */
  running_head: chainHeadSchema.nullable(),
  /** Pass as `after_seq` for the next page; `null` on the last. */
  next_after_seq: z.number().int().nullable(),
  /** The first row where the chain does not hold; `null` when it holds (so far). */
  first_broken: z
    .object({ seq: z.number().int(), reason: z.enum(CHAIN_BREAK_REASONS), message: z.string() })
    .nullable(),
});
/**
 * One page of a chain walk.
 *
 * @example
 * const report: ChainReport = await admin.audit.verify({ after_seq: 5000, limit: 5000 });
 */
export type ChainReport = z.infer<typeof chainReportSchema>;

/**
 * `GET /admin/audit/verify`'s query: `limit` rows after `after_seq`.
 *
 * @example
 * const { limit } = auditVerifyQuerySchema.parse({}); // DEFAULT_VERIFY_ROWS
 */
export const auditVerifyQuerySchema = z.object({
  /** Continue after this row (the previous page's `next_after_seq`). */
  after_seq: z.coerce.number<number>().int().min(0).optional(),
  limit: z.coerce.number<number>().int().min(1).max(MAX_VERIFY_ROWS).default(DEFAULT_VERIFY_ROWS),
});
/**
 * What `GET /admin/audit/verify` may be asked.
 *
 * @example
 * const query: AuditVerifyQuery = { after_seq: page.next_after_seq ?? 0, limit: 20_000 };
 */
export type AuditVerifyQuery = z.input<typeof auditVerifyQuerySchema>;
