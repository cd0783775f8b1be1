import { type PersonList, personListQuerySchema, SdgateError } from "@sdgate/shared";
import type { Hono } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { adminGuard } from "../../identity/guard.ts";
import { adminAudit, noteAudit } from "../../middleware/admin-audit/index.ts";
import { parseQuery } from "../admin-body.ts";
import { onOperation } from "../operation.ts";
import { listUsers, type PeopleCursor, peopleOf } from "./people-store.ts";

function encodeCursor(last: { created_at: string; id: string }): string {
  return btoa(JSON.stringify([last.created_at, last.id])).replaceAll("=", "");
}

function decodeCursor(cursor: string): PeopleCursor {
  try {
    const [createdAt, id] = JSON.parse(atob(cursor)) as unknown[];
    if (typeof createdAt === "string" && typeof id === "string") return { createdAt, id };
  } catch {
    // fall through to the 400
  }
  throw new SdgateError("invalid_request", "Invalid 'cursor': pass the next_cursor of the previous page.", {
    param: "cursor",
  });
}

/** `GET /admin/people?limit&cursor&email` → people newest first, with their memberships. */
export function registerListPeople(app: Hono<AppEnv>): void {
  onOperation(app, "listPeople", adminGuard("listPeople"), adminAudit("person.list"), async (c) => {
    const query = parseQuery(c, personListQuerySchema);
    const after = query.cursor === undefined ? null : decodeCursor(query.cursor);
    const db = c.var.config.db;
    const users = await listUsers(db, { limit: query.limit + 1, after, email: query.email });
    const page = users.slice(0, query.limit);
    const last = page.at(-1);
    noteAudit(c, { detail: { count: page.length } });
    const list: PersonList = {
      object: "list",
      data: await peopleOf(db, page),
      next_cursor: users.length > query.limit && last ? encodeCursor(last) : null,
    };
    return c.json(list);
  });
}
