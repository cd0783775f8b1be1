import { MODEL_ID_PATTERN, type ModelRecord, SdgateError } from "@sdgate/shared";
import type { Context } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { noteAudit } from "../../middleware/admin-audit/index.ts";
import { getModel } from "../../model-registry/index.ts";
import { idParam } from "../admin-people/ids.ts";

/**
 * The path's model (`/admin/models/{id}/…`), which must be registered: 404 naming it otherwise. Its id
 * goes into the request's audit row.
 *
 * @example
 * const model = await existingModel(c);
 */
export async function existingModel(c: Context<AppEnv>): Promise<ModelRecord> {
  const id = idParam(c, MODEL_ID_PATTERN, "model");
  const model = await getModel(c.var.config.db, id);
  if (model === null) throw new SdgateError("not_found", `No model with id '${id}'.`, { param: "id" });
  noteAudit(c, { detail: { model_id: id } });
  return model;
}
