import { USER_ID_PATTERN } from "@sdgate/shared";
import type { Hono } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { getUser, membershipsOf } from "../../identity/directory/index.ts";
import { adminGuard } from "../../identity/guard.ts";
import { adminAudit, noteAudit } from "../../middleware/admin-audit/index.ts";
import { onOperation } from "../operation.ts";
import { idParam, notFound } from "./ids.ts";
import { personView } from "./people-store.ts";

/** `GET /admin/people/{id}` → the person, with their groups and memberships. */
export function registerGetPerson(app: Hono<AppEnv>): void {
  onOperation(app, "getPerson", adminGuard("getPerson"), adminAudit("person.read"), async (c) => {
    const id = idParam(c, USER_ID_PATTERN, "person");
    noteAudit(c, { detail: { user_id: id } });
    const db = c.var.config.db;
    const user = await getUser(db, id);
    if (!user) throw notFound("person", id);
    return c.json(personView(user, await membershipsOf(db, id)));
  });
}
