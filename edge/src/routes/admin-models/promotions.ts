import { OPERATIONS, promotionBodySchema } from "@sdgate/shared";
import type { Hono } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { adminGuard } from "../../identity/guard.ts";
import { actorOf } from "../../identity/principal.ts";
import { adminAudit } from "../../middleware/admin-audit/index.ts";
import { listPromotions, requestPromotion } from "../../model-registry/index.ts";
import { limitAdminBody, parseJsonBody, parseQuery } from "../admin-body.ts";
import { noteChange } from "../admin-people/audit-change.ts";
import { onOperation } from "../operation.ts";
import { existingModel } from "./existing-model.ts";
import { registryProblem } from "./problems.ts";

/** `/admin/models/{id}/promotions`: asking for an alias to move, and the requests so far. */
export function registerPromotionRoutes(app: Hono<AppEnv>): void {
  onOperation(
    app,
    "listPromotions",
    adminGuard("listPromotions"),
    adminAudit("promotion.list"),
    async (c) => {
      const model = await existingModel(c);
      const { status } = parseQuery(c, OPERATIONS.listPromotions.query.schema);
      return c.json({ object: "list", data: await listPromotions(c.var.config.db, model.id, status) });
    },
  );

  onOperation(
    app,
    "requestPromotion",
    adminGuard("requestPromotion"),
    adminAudit("promotion.request"),
    limitAdminBody,
    async (c) => {
      const model = await existingModel(c);
      const body = await parseJsonBody(c, promotionBodySchema);
      const requested = await requestPromotion(c.var.config.db, model.id, body, actorOf(c.var.principal));
      if (!requested.ok) throw registryProblem(requested.error);
      noteChange(c, requested.value, { promotion_id: requested.value.after.id });
      return c.json(requested.value.after, 201);
    },
  );
}
