import { type KeyList, keyListQuerySchema, SdgateError } from "@sdgate/shared";
import type { Hono } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { adminGuard } from "../../identity/guard.ts";
import { d1KeyStore, type StoredKey } from "../../keys/store.ts";
import { adminAudit, filtersNote, noteAudit } from "../../middleware/admin-audit/index.ts";
import { parseQuery } from "../admin-body.ts";
import { onOperation } from "../operation.ts";
import { definedFields, publicKey } from "./view.ts";

function encodeCursor(key: StoredKey): string {
  return btoa(JSON.stringify([key.created_at, key.id])).replaceAll("=", "");
}

function decodeCursor(cursor: string): { createdAt: string; id: string } {
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

/**
 * `GET /admin/keys?limit&cursor&team_id&status&q&created_by` → newest first, no secrets, filtered in
 * D1 before paging (so each page is full); `next_cursor` pages on under the same filters.
 */
export function registerListKeys(app: Hono<AppEnv>): void {
  onOperation(app, "listKeys", adminGuard("listKeys"), adminAudit("key.list"), async (c) => {
    const query = parseQuery(c, keyListQuerySchema);
    const before = query.cursor === undefined ? null : decodeCursor(query.cursor);
    const filters = definedFields({
      teamId: query.team_id,
      status: query.status,
      text: query.q,
      createdByUserId: query.created_by,
    });
    const keys = await d1KeyStore(c.var.config.db).list({ limit: query.limit + 1, before, filters });
    const page = keys.slice(0, query.limit);
    const last = page.at(-1);
    noteAudit(c, {
      detail: { count: page.length, ...filtersNote(query, ["team_id", "status", "q", "created_by"]) },
    });
    const list: KeyList = {
      object: "list",
      data: page.map(publicKey),
      next_cursor: keys.length > query.limit && last ? encodeCursor(last) : null,
    };
    return c.json(list);
  });
}
