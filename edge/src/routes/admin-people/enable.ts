import { USER_ID_PATTERN } from "@sdgate/shared";
import type { Hono } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { enableUser, membershipsOf } from "../../identity/directory/index.ts";
import { adminGuard } from "../../identity/guard.ts";
import { adminAudit } from "../../middleware/admin-audit/index.ts";
import { onOperation } from "../operation.ts";
import { noteChange } from "./audit-change.ts";
import { idParam, notFound } from "./ids.ts";
import { personView } from "./people-store.ts";

/**
 * `POST /admin/people/{id}/enable` → the person may sign in again, with the memberships they had;
 * the keys deprovisioning revoked stay revoked.
 */
export function registerEnablePerson(app: Hono<AppEnv>): void {
  onOperation(app, "enablePerson", adminGuard("enablePerson"), adminAudit("person.enable"), async (c) => {
    const id = idParam(c, USER_ID_PATTERN, "person");
    const db = c.var.config.db;
    const enabled = await enableUser(db, id);
    if (!enabled) throw notFound("person", id);
    noteChange(c, enabled, { user_id: id });
    return c.json(personView(enabled.after, await membershipsOf(db, id)));
  });
}
