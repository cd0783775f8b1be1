import type { Hono } from "hono";
import { z } from "zod";
import { listAudit, recordAdminAction, verifyAudit } from "../audit/index.ts";
import type { AppEnv } from "../hono-env.ts";
import { KEY_ID_PATTERN } from "../keys/secret.ts";
import { adminAuth } from "../middleware/auth/admin.ts";
import { parseQuery } from "./admin-body.ts";

const listSchema = z.object({
  key_id: z.string().regex(KEY_ID_PATTERN, "must be a key id (key_…)").optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  before: z.coerce.number().int().min(1).optional(),
});

/**
 * The audit chain, for the admin token:
 * - `GET /admin/audit?key_id&limit&before` → newest first; `next_before` pages on.
 * - `GET /admin/audit/verify` → walks the chain from its first row, recomputing every hash, and
 *   reports the first broken row (`first_broken: { seq, reason, message }`) or `ok: true`.
 */
export function registerAdminAudit(app: Hono<AppEnv>): void {
  const admin = adminAuth<AppEnv>({ token: (c) => c.var.config.adminToken });

  app.get("/admin/audit", admin, async (c) => {
    const query = parseQuery(c, listSchema);
    const page = await listAudit(c.var.config.db, {
      keyId: query.key_id ?? null,
      limit: query.limit,
      before: query.before ?? null,
    });
    await recordAdminAction(c, { action: "audit.list", keyId: query.key_id ?? null, status: 200 });
    return c.json({ object: "list", ...page });
  });

  app.get("/admin/audit/verify", admin, async (c) => {
    const report = await verifyAudit(c.var.config.db, c.var.config.auditLog);
    await recordAdminAction(c, {
      action: "audit.verify",
      status: 200,
      detail: { ok: report.ok, rows_checked: report.rows_checked },
    });
    return c.json(report);
  });
}
