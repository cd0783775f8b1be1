import type { Hono } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { registerEvaluationImageRoute } from "./image.ts";
import { registerEvaluationReadRoutes } from "./read.ts";
import { registerStartEvaluationRoute } from "./start.ts";

/**
 * Evaluation runs on the admin API (`/admin/models/{id}/evaluations`, `/admin/evaluations/{id}`):
 * starting one takes `models.register`, reading one and its images `models.read`. Every call is
 * audited; the run's end is audited by its object (`evaluation.finish`).
 */
export function registerAdminEvaluations(app: Hono<AppEnv>): void {
  registerStartEvaluationRoute(app);
  registerEvaluationReadRoutes(app);
  registerEvaluationImageRoute(app);
}
