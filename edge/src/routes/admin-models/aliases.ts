import { ALIAS_NAME_PATTERN, SdgateError } from "@sdgate/shared";
import type { Hono } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { adminGuard } from "../../identity/guard.ts";
import { adminAudit } from "../../middleware/admin-audit/index.ts";
import { aliasHistory, listAliases } from "../../model-registry/index.ts";
import { onOperation } from "../operation.ts";
import { existingModel } from "./existing-model.ts";

/** `/admin/models/{id}/aliases`: where each alias points, and how it got there. */
export function registerAliasRoutes(app: Hono<AppEnv>): void {
  onOperation(
    app,
    "listModelAliases",
    adminGuard("listModelAliases"),
    adminAudit("model.aliases"),
    async (c) => {
      const model = await existingModel(c);
      return c.json({ object: "list", data: await listAliases(c.var.config.db, model.id) });
    },
  );

  onOperation(
    app,
    "getAliasHistory",
    adminGuard("getAliasHistory"),
    adminAudit("model.history"),
    async (c) => {
      const model = await existingModel(c);
      const alias = c.req.param("alias") ?? "";
      const moves = ALIAS_NAME_PATTERN.test(alias)
        ? await aliasHistory(c.var.config.db, model.id, alias)
        : [];
      // An alias that never moved does not exist: the history of nothing is a 404, not an empty list.
      if (moves.length === 0)
        throw new SdgateError("not_found", `Model '${model.id}' has no alias '${alias.slice(0, 40)}'.`, {
          param: "alias",
        });
      return c.json({ object: "list", data: moves });
    },
  );
}
