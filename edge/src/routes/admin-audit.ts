import { auditListQuerySchema, auditVerifyQuerySchema, type ChainReport, SdgateError } from "@sdgate/shared";
import type { Hono } from "hono";
import { listAudit, verifyAudit } from "../audit/index.ts";
import { UnknownCursorError } from "../audit/verify.ts";
import type { AppEnv } from "../hono-env.ts";
import { adminGuard } from "../identity/guard.ts";
import { adminAudit, filtersNote, noteAudit } from "../middleware/admin-audit/index.ts";
import { parseQuery } from "./admin-body.ts";
import { definedFields } from "./admin-keys/view.ts";
import { onOperation } from "./operation.ts";

/**
 * The audit chain, for the admin token:
 * - `GET /admin/audit?key_id&action&actor&target&from&to&limit&before` → newest first, filtered in D1
 *   before paging (so each page is full); `next_before` pages on under the same filters.
 * - `GET /admin/audit/verify?after_seq&limit` → walks the chain from its first row (or the retention
 *   checkpoint), recomputing every hash, `limit` rows a page (default 5,000, at most 20,000): pass
 *   `next_after_seq` as `after_seq` until `complete`; the row at `after_seq` is read again from D1, never
 *   taken from the client. `ok: true` only on the last page of a walk without a break; otherwise
 *   `first_broken: { seq, reason, message }`.
 */
export function registerAdminAudit(app: Hono<AppEnv>): void {
  onOperation(
    app,
    "listAudit",
    adminGuard("listAudit"),
    adminAudit("audit.list", { key: "query" }),
    async (c) => {
      const query = parseQuery(c, auditListQuerySchema);
      const { key_id, action, actor, target, from, to } = query;
      const page = await listAudit(c.var.config.db, {
        filters: definedFields({ keyId: key_id, action, actor, target, from, to }),
        limit: query.limit,
        before: query.before ?? null,
      });
      noteAudit(c, { detail: filtersNote(query, ["action", "actor", "target", "from", "to"]) });
      return c.json(page);
    },
  );

  onOperation(app, "verifyAudit", adminGuard("verifyAudit"), adminAudit("audit.verify"), async (c) => {
    const query = parseQuery(c, auditVerifyQuerySchema);
    const afterSeq = query.after_seq ?? null;
    let report: ChainReport;
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
