import { OPERATIONS, SdgateError } from "@sdgate/shared";
import type { Hono } from "hono";
import { evaluationImageKey } from "../../evaluations/images.ts";
import type { AppEnv } from "../../hono-env.ts";
import { adminGuard } from "../../identity/guard.ts";
import { adminAudit, noteAudit } from "../../middleware/admin-audit/index.ts";
import { parseQuery } from "../admin-body.ts";
import { onOperation } from "../operation.ts";
import { existingEvaluation } from "./read.ts";

/** `GET /admin/evaluations/{id}/image?index=&side=`: one side's image of one item, from R2. */
export function registerEvaluationImageRoute(app: Hono<AppEnv>): void {
  onOperation(
    app,
    "getEvaluationImage",
    adminGuard("getEvaluationImage"),
    adminAudit("evaluation.image"),
    async (c) => {
      const run = await existingEvaluation(c);
      const { index, side } = parseQuery(c, OPERATIONS.getEvaluationImage.query.schema);
      noteAudit(c, { detail: { index, side } });
      const object = await c.var.config.images.get(evaluationImageKey(run.id, index, side));
      if (object === null)
        throw new SdgateError(
          "not_found",
          `Evaluation run ${run.id} has no ${side} image for item ${index}.`,
          { param: "index" },
        );
      return new Response(object.body, {
        headers: {
          "Content-Type": object.httpMetadata?.contentType ?? "application/octet-stream",
          "Cache-Control": "private, max-age=3600",
        },
      });
    },
  );
}
