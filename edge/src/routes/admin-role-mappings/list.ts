import type { RoleMappingList } from "@sdgate/shared";
import type { Hono } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { listRoleMappings } from "../../identity/directory/index.ts";
import { adminGuard } from "../../identity/guard.ts";
import { adminAudit, noteAudit } from "../../middleware/admin-audit/index.ts";
import { onOperation } from "../operation.ts";

/** `GET /admin/role-mappings` → every rule, by group, a group's global rule first. */
export function registerListRoleMappings(app: Hono<AppEnv>): void {
  onOperation(
    app,
    "listRoleMappings",
    adminGuard("listRoleMappings"),
    adminAudit("mapping.list"),
    async (c) => {
      const mappings = await listRoleMappings(c.var.config.db);
      noteAudit(c, { detail: { count: mappings.length } });
      const list: RoleMappingList = { object: "list", data: mappings };
      return c.json(list);
    },
  );
}
