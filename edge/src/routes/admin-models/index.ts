import type { Hono } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { registerAliasRoutes } from "./aliases.ts";
import { registerDecisionRoutes } from "./decisions.ts";
import { registerModelRoutes } from "./models.ts";
import { registerPolicyRoutes } from "./policies.ts";
import { registerPromotionRoutes } from "./promotions.ts";
import { registerVersionRoutes } from "./versions.ts";

/**
 * The model registry's admin API (`/admin/models`, `/admin/promotions`), one file per resource.
 * Reading takes `models.read`; registering models and versions and asking for promotions,
 * `models.register`; deciding, `models.approve`, never on one's own request. Every call is audited,
 * each change with its before and after. No route moves an alias but approving a promotion.
 */
export function registerAdminModels(app: Hono<AppEnv>): void {
  registerModelRoutes(app);
  registerVersionRoutes(app);
  registerAliasRoutes(app);
  registerPromotionRoutes(app);
  registerDecisionRoutes(app);
  registerPolicyRoutes(app);
}
