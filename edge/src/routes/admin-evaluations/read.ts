import { EVALUATION_ID_PATTERN, type EvaluationRun } from "@sdgate/shared";
import type { Context, Hono } from "hono";
import { getEvaluation, listEvaluations } from "../../evaluations/store.ts";
import type { AppEnv } from "../../hono-env.ts";
import { adminGuard } from "../../identity/guard.ts";
import { adminAudit, noteAudit } from "../../middleware/admin-audit/index.ts";
import { existingModel } from "../admin-models/existing-model.ts";
import { idParam, notFound } from "../admin-people/ids.ts";
import { onOperation } from "../operation.ts";

/** The path's evaluation run (`/admin/evaluations/{id}…`): 404 naming it when there is none. */
export async function existingEvaluation(c: Context<AppEnv>): Promise<EvaluationRun> {
  const id = idParam(c, EVALUATION_ID_PATTERN, "evaluation run");
  noteAudit(c, { detail: { evaluation_id: id } });
  const run = await getEvaluation(c.var.config.db, id);
  if (run === null) throw notFound("evaluation run", id);
  return run;
}

/** A model's runs, and one run with its items. */
export function registerEvaluationReadRoutes(app: Hono<AppEnv>): void {
  onOperation(
    app,
    "listEvaluations",
    adminGuard("listEvaluations"),
    adminAudit("evaluation.list"),
    async (c) => {
      const model = await existingModel(c);
      return c.json({ object: "list", data: await listEvaluations(c.var.config.db, model.id) });
    },
  );

  onOperation(app, "getEvaluation", adminGuard("getEvaluation"), adminAudit("evaluation.read"), async (c) =>
    c.json(await existingEvaluation(c)),
  );
}
