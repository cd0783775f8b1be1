import { SdgateError } from "@sdgate/shared";
import type { Hono } from "hono";
import { z } from "zod";
import { listAudit, verifyAudit } from "../audit/index.ts";
import { DEFAULT_VERIFY_ROWS, MAX_VERIFY_ROWS, UnknownCursorError } from "../audit/verify.ts";
import type { AppEnv } from "../hono-env.ts";
import { adminAuth } from "../keys/admin-auth.ts";
import { KEY_ID_PATTERN } from "../keys/secret.ts";
import { adminAudit, noteAudit } from "../middleware/admin-audit/index.ts";
import { parseQuery } from "./admin-body.ts";

const listSchema = z.object({
  key_id: z.string().regex(KEY_ID_PATTERN, "must be a key id (key_…)").optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  before: z.coerce.number().int().min(1).optional(),
});

const verifySchema = z.object({
  after_seq: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_VERIFY_ROWS).default(DEFAULT_VERIFY_ROWS),
});

/**
 * The audit chain, for the admin token:
 * - `GET /admin/audit?key_id&limit&before` → newest first; `next_before` pages on.
 * - `GET /admin/audit/verify?after_seq&limit` → walks the chain from its first row (or the retention
 *   checkpoint), recomputing every hash, `limit` rows a page (default 5,000, at most 20,000): pass
 *   `next_after_seq` as `after_seq` until `complete`; the row at `after_seq` is read again from D1, never
 *   taken from the client. `ok: true` only on the last page of a walk without a break; otherwise
 *   `first_broken: { seq, reason, message }`.
 */
export function registerAdminAudit(app: Hono<AppEnv>): void {
  const admin = adminAuth<AppEnv>({ token: (c) => c.var.config.adminToken });

  app.get("/admin/audit", admin, adminAudit("audit.list", { key: "query" }), async (c) => {
    const query = parseQuery(c, listSchema);
    const page = await listAudit(c.var.config.db, {
      keyId: query.key_id ?? null,
      limit: query.limit,
      before: query.before ?? null,
    });
    return c.json({ object: "list", ...page });
  });

  app.get("/admin/audit/verify", admin, adminAudit("audit.verify"), async (c) => {
    const query = parseQuery(c, verifySchema);
    const afterSeq = query.after_seq ?? null;
    let report: Awaited<ReturnType<typeof verifyAudit>>;
    try {
      report = await verifyAudit(c.var.config.db, c.var.config.auditLog, { afterSeq, limit: query.limit });
    } catch (error) {
      if (!(error instanceof UnknownCursorError)) throw error;
      throw new SdgateError(
        "invalid_request",
        `Invalid 'after_seq': the chain has no row ${afterSeq}; pass the next_after_seq of the previous page.`,
        { param: "after_seq" },
      );
    }
    noteAudit(c, {
      detail: {
        ok: report.ok,
        complete: report.complete,
        after_seq: afterSeq,
        rows_checked: report.rows_checked,
      },
    });
    return c.json(report);
  });
}
