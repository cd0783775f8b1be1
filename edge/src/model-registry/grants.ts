import { type ModelInfo, parseModelRef, SdgateError } from "@sdgate/shared";
import { getModel } from "./models.ts";
import type { Governance } from "./serving.ts";
import { getVersion } from "./versions.ts";

function refused(param: string, message: string): SdgateError {
  return new SdgateError("invalid_request", `Invalid '${param}': ${message}`, { param });
}

/**
 * Refuses a list of model grants (a key's `models`, a team's granted models) that names what this
 * server does not serve, since a typo would lock its holder out. On a registry edge each entry is a
 * registered model (`sd15`: all of it), an alias of one (`sd15@production`, which may be created
 * later) or one of its versions (`sd15@v3`, which must exist); on a catalog edge, a catalog id.
 *
 * @example
 * await checkModelGrants(body.models, c.var.config, "models");
 */
export async function checkModelGrants(
  list: readonly string[] | null | undefined,
  config: { governance: Governance; models: readonly ModelInfo[]; db: D1Database },
  param: string,
): Promise<void> {
  if (!list) return;
  if (config.governance === "catalog") {
    const unknown = list.find((id) => !config.models.some((model) => model.id === id));
    if (unknown !== undefined)
      throw refused(
        param,
        `this server serves no model '${unknown.slice(0, 128)}' (it serves ${config.models.map((model) => model.id).join(", ")}).`,
      );
    return;
  }
  for (const entry of list) {
    const parsed = parseModelRef(entry);
    if (!parsed.ok) throw refused(param, parsed.error.message);
    const ref = parsed.value;
    if (!(await getModel(config.db, ref.model)))
      throw refused(param, `the model registry has no model '${ref.model}'.`);
    if ("version" in ref && !(await getVersion(config.db, ref.model, ref.version)))
      throw refused(param, `the model '${ref.model}' has no version '${ref.version}'.`);
  }
}
