import { evaluationBodySchema } from "@sdgate/shared";
import type { Hono } from "hono";
import { planEvaluation } from "../../evaluations/plan.ts";
import { callerLocation } from "../../gateway/serve.ts";
import type { AppEnv } from "../../hono-env.ts";
import { adminGuard } from "../../identity/guard.ts";
import { actorOf } from "../../identity/principal.ts";
import { adminAudit, noteAudit } from "../../middleware/admin-audit/index.ts";
import { limitAdminBody, parseJsonBody } from "../admin-body.ts";
import { existingModel } from "../admin-models/existing-model.ts";
import { onOperation } from "../operation.ts";

/** `POST /admin/models/{id}/evaluations`: plans the run and hands it to its `EvaluationRun` object. */
export function registerStartEvaluationRoute(app: Hono<AppEnv>): void {
  onOperation(
    app,
    "startEvaluation",
    adminGuard("startEvaluation"),
    adminAudit("evaluation.start"),
    limitAdminBody,
    async (c) => {
      const model = await existingModel(c);
      const body = await parseJsonBody(c, evaluationBodySchema);
      const config = c.var.config;
      const spec = await planEvaluation(config, model.id, body, {
        actor: actorOf(c.var.principal),
        location: callerLocation(c),
      });
      const { view } = spec;
      noteAudit(c, {
        detail: {
          evaluation_id: view.id,
          candidate: view.candidate.version,
          baseline: view.baseline.version,
          baseline_ref: view.baseline_ref,
          items: view.items.length,
        },
      });
      const started = await config.evaluations.getByName(view.id).start(spec);
      return c.json(started, 202);
    },
  );
}
