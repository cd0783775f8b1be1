import { PROMOTION_ID_PATTERN, promotionDecisionBodySchema, SdgateError } from "@sdgate/shared";
import type { Context, Hono, MiddlewareHandler } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { adminGuard, checkSameOrigin } from "../../identity/guard.ts";
import { personOf } from "../../identity/person.ts";
import { actorOf, mayEverywhere } from "../../identity/principal.ts";
import { adminAudit, noteAudit } from "../../middleware/admin-audit/index.ts";
import { approvePromotion, getPromotion, rejectPromotion } from "../../model-registry/index.ts";
import { limitAdminBody, parseJsonBody } from "../admin-body.ts";
import { noteChange } from "../admin-people/audit-change.ts";
import { idParam } from "../admin-people/ids.ts";
import { onOperation } from "../operation.ts";
import { registryProblem } from "./problems.ts";

const promotionId = (c: Context<AppEnv>) => {
  const id = idParam(c, PROMOTION_ID_PATTERN, "promotion request");
  noteAudit(c, { detail: { promotion_id: id } });
  return id;
};

/**
 * Rejecting takes `models.approve`, or being the request's requester (withdrawing it), which only a
 * holder of `models.register` can be: this admits both, and the handler tells them apart.
 */
function rejectGuard(): MiddlewareHandler<AppEnv> {
  const deploymentWide = adminGuard("rejectPromotion");
  return async function rejectGuard(c, next) {
    const authorization = c.req.header("Authorization");
    if (authorization !== undefined && authorization.trim() !== "") return deploymentWide(c, next);
    const person = await personOf(c);
    if (person === null) return deploymentWide(c, next);
    if (person.via !== "access") checkSameOrigin(c);
    if (!mayEverywhere(person.principal, "models.register")) return deploymentWide(c, next);
    c.set("principal", person.principal);
    await next();
  };
}

/** A caller without `models.approve` may reject only a request they made; anything else is 403 alike. */
async function requireApproverOrRequester(c: Context<AppEnv>): Promise<void> {
  if (mayEverywhere(c.var.principal, "models.approve")) return;
  const id = c.req.param("id") ?? "";
  const request = PROMOTION_ID_PATTERN.test(id) ? await getPromotion(c.var.config.db, id) : null;
  if (request?.requested_by !== actorOf(c.var.principal))
    throw new SdgateError(
      "insufficient_scope",
      "This needs the 'models.approve' permission, which you do not hold (a requester may only withdraw their own request).",
    );
}

/** `/admin/promotions/{id}/approve|reject`: deciding a promotion request. */
export function registerDecisionRoutes(app: Hono<AppEnv>): void {
  onOperation(
    app,
    "approvePromotion",
    adminGuard("approvePromotion"),
    adminAudit("promotion.approve"),
    limitAdminBody,
    async (c) => {
      const id = promotionId(c);
      const { comment, expected_revision } = await parseJsonBody(c, promotionDecisionBodySchema);
      const approved = await approvePromotion(c.var.config.db, id, actorOf(c.var.principal), {
        comment,
        ...(expected_revision === undefined ? {} : { expectedRevision: expected_revision }),
      });
      if (!approved.ok) throw registryProblem(approved.error);
      const { before, after, superseded } = approved.value;
      noteChange(c, { before, after }, { model_id: after.request.model_id, alias: after.alias.name });
      return c.json({ request: after.request, alias: after.alias, superseded });
    },
  );

  onOperation(
    app,
    "rejectPromotion",
    rejectGuard(),
    adminAudit("promotion.reject"),
    limitAdminBody,
    async (c) => {
      await requireApproverOrRequester(c);
      const id = promotionId(c);
      const { comment } = await parseJsonBody(c, promotionDecisionBodySchema);
      const rejected = await rejectPromotion(c.var.config.db, id, actorOf(c.var.principal), { comment });
      if (!rejected.ok) throw registryProblem(rejected.error);
      noteChange(c, rejected.value, { model_id: rejected.value.after.model_id });
      return c.json(rejected.value.after);
    },
  );
}
