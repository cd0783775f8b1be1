import { ALIAS_NAME_PATTERN, type AliasPolicyView, aliasPolicyBodySchema, SdgateError } from "@sdgate/shared";
import type { Context, Hono } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { adminGuard } from "../../identity/guard.ts";
import { actorOf } from "../../identity/principal.ts";
import { adminAudit, noteAudit } from "../../middleware/admin-audit/index.ts";
import { MODEL_DEFAULT_POLICY } from "../../model-registry/serving.ts";
import {
  getAliasPolicy,
  listAliasPolicies,
  removeAliasPolicy,
  type StoredAliasPolicy,
  setAliasPolicy,
} from "../../policies/alias-store.ts";
import { limitAdminBody, parseJsonBody } from "../admin-body.ts";
import { noteChange } from "../admin-people/audit-change.ts";
import { onOperation } from "../operation.ts";
import { existingModel } from "./existing-model.ts";

function viewOf(modelId: string, alias: string, stored: StoredAliasPolicy | null): AliasPolicyView {
  return {
    object: "model.policy",
    model_id: modelId,
    alias,
    policy: stored?.policy ?? null,
    safety_check: stored?.safety_check ?? "off",
    updated_at: stored?.updated_at ?? null,
    updated_by: stored?.updated_by ?? null,
  };
}

/** What the audit keeps of a policy: its rules, whether it keeps prompts, and its safety check. */
function audited(stored: StoredAliasPolicy | null) {
  return stored === null ? null : { ...stored.policy, safety_check: stored.safety_check };
}

/**
 * The path's model and alias: the alias an alias name (which need not point anywhere yet: a policy
 * may wait for its alias) or `*`, the model's default. 404 naming either otherwise.
 */
async function modelAndAlias(c: Context<AppEnv>): Promise<{ modelId: string; alias: string }> {
  const model = await existingModel(c);
  const alias = c.req.param("alias") ?? "";
  if (alias !== MODEL_DEFAULT_POLICY && !ALIAS_NAME_PATTERN.test(alias))
    throw new SdgateError(
      "not_found",
      `'${alias.slice(0, 40)}' is not an alias name (or '*', the model's default).`,
      { param: "alias" },
    );
  noteAudit(c, { detail: { alias } });
  return { modelId: model.id, alias };
}

/**
 * `/admin/models/{id}/policies[/{alias}]`: the prompt policy and output safety check of each alias
 * of a model, and of `*`, its default (which binds pinned versions and aliases without their own).
 * Reading takes `models.read`; setting and removing `policies.manage`. Changes are audited with
 * before and after, and this isolate's cached resolutions of the model are dropped at once.
 */
export function registerPolicyRoutes(app: Hono<AppEnv>): void {
  onOperation(
    app,
    "listModelPolicies",
    adminGuard("listModelPolicies"),
    adminAudit("model.policies"),
    async (c) => {
      const model = await existingModel(c);
      const stored = await listAliasPolicies(c.var.config.db, model.id);
      return c.json({
        object: "list",
        data: stored.map((one) => viewOf(model.id, one.alias, one)),
      });
    },
  );

  onOperation(app, "getModelPolicy", adminGuard("getModelPolicy"), adminAudit("model.policy"), async (c) => {
    const { modelId, alias } = await modelAndAlias(c);
    return c.json(viewOf(modelId, alias, await getAliasPolicy(c.var.config.db, modelId, alias)));
  });

  onOperation(
    app,
    "setModelPolicy",
    adminGuard("setModelPolicy"),
    adminAudit("policy.set"),
    limitAdminBody,
    async (c) => {
      const { modelId, alias } = await modelAndAlias(c);
      const body = await parseJsonBody(c, aliasPolicyBodySchema);
      const change = await setAliasPolicy(c.var.config.db, modelId, alias, body, {
        by: actorOf(c.var.principal),
      });
      noteChange(c, { before: audited(change.before), after: audited(change.after) }, { model_id: modelId });
      return c.json(viewOf(modelId, alias, change.after));
    },
  );

  onOperation(
    app,
    "deleteModelPolicy",
    adminGuard("deleteModelPolicy"),
    adminAudit("policy.remove"),
    async (c) => {
      const { modelId, alias } = await modelAndAlias(c);
      const change = await removeAliasPolicy(c.var.config.db, modelId, alias);
      noteChange(c, { before: audited(change.before), after: null }, { model_id: modelId });
      return c.json(viewOf(modelId, alias, null));
    },
  );
}
