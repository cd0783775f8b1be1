import { registerVersionBodySchema } from "@sdgate/shared";
import type { Hono } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { adminGuard } from "../../identity/guard.ts";
import { actorOf } from "../../identity/principal.ts";
import { adminAudit } from "../../middleware/admin-audit/index.ts";
import { listVersions, registerVersion } from "../../model-registry/index.ts";
import { limitAdminBody, parseJsonBody } from "../admin-body.ts";
import { noteChange } from "../admin-people/audit-change.ts";
import { onOperation } from "../operation.ts";
import { existingModel } from "./existing-model.ts";
import { registryProblem } from "./problems.ts";

/** `/admin/models/{id}/versions`: a model's immutable versions. */
export function registerVersionRoutes(app: Hono<AppEnv>): void {
  onOperation(
    app,
    "listModelVersions",
    adminGuard("listModelVersions"),
    adminAudit("model.versions"),
    async (c) => {
      const model = await existingModel(c);
      return c.json({ object: "list", data: await listVersions(c.var.config.db, model.id) });
    },
  );

  onOperation(
    app,
    "registerModelVersion",
    adminGuard("registerModelVersion"),
    adminAudit("model.version"),
    limitAdminBody,
    async (c) => {
      const model = await existingModel(c);
      const body = await parseJsonBody(c, registerVersionBodySchema);
      const registered = await registerVersion(c.var.config.db, model.id, body, actorOf(c.var.principal));
      if (!registered.ok) throw registryProblem(registered.error);
      noteChange(c, registered.value, { version: registered.value.after.version });
      return c.json(registered.value.after, 201);
    },
  );
}
