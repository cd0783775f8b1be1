import { createModelBodySchema } from "@sdgate/shared";
import type { Hono } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { adminGuard } from "../../identity/guard.ts";
import { actorOf } from "../../identity/principal.ts";
import { adminAudit } from "../../middleware/admin-audit/index.ts";
import { createModel, listModels } from "../../model-registry/index.ts";
import { limitAdminBody, parseJsonBody } from "../admin-body.ts";
import { noteChange } from "../admin-people/audit-change.ts";
import { onOperation } from "../operation.ts";
import { existingModel } from "./existing-model.ts";
import { registryProblem } from "./problems.ts";

/** `/admin/models` and `/admin/models/{id}`: the registry's models. */
export function registerModelRoutes(app: Hono<AppEnv>): void {
  onOperation(
    app,
    "listRegisteredModels",
    adminGuard("listRegisteredModels"),
    adminAudit("model.list"),
    async (c) => c.json({ object: "list", data: await listModels(c.var.config.db) }),
  );

  onOperation(
    app,
    "createRegisteredModel",
    adminGuard("createRegisteredModel"),
    adminAudit("model.create"),
    limitAdminBody,
    async (c) => {
      const body = await parseJsonBody(c, createModelBodySchema);
      const created = await createModel(c.var.config.db, body, actorOf(c.var.principal));
      if (!created.ok) throw registryProblem(created.error);
      noteChange(c, created.value, { model_id: created.value.after.id });
      return c.json(created.value.after, 201);
    },
  );

  onOperation(
    app,
    "getRegisteredModel",
    adminGuard("getRegisteredModel"),
    adminAudit("model.read"),
    async (c) => c.json(await existingModel(c)),
  );
}
