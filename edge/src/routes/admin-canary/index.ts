import { ALIAS_NAME_PATTERN, SdgateError, type SplitView, splitBodySchema } from "@sdgate/shared";
import type { Context, Hono } from "hono";
import { endSplit, getSplit, lastEndedSplit, startSplit } from "../../canary/store.ts";
import { watchName } from "../../canary/watch.ts";
import type { AppEnv } from "../../hono-env.ts";
import { adminGuard } from "../../identity/guard.ts";
import { actorOf } from "../../identity/principal.ts";
import { adminAudit } from "../../middleware/admin-audit/index.ts";
import { getAlias } from "../../model-registry/index.ts";
import { limitAdminBody, parseJsonBody } from "../admin-body.ts";
import { existingModel } from "../admin-models/existing-model.ts";
import { registryProblem } from "../admin-models/problems.ts";
import { noteChange } from "../admin-people/audit-change.ts";
import { onOperation } from "../operation.ts";

function aliasParam(c: Context<AppEnv>): string {
  const alias = c.req.param("alias") ?? "";
  if (!ALIAS_NAME_PATTERN.test(alias))
    throw new SdgateError("invalid_request", "The path's alias is not an alias name.", { param: "alias" });
  return alias;
}

/** The split view of `model@alias`: the split, each side's version now, and each version's numbers. */
async function viewOf(c: Context<AppEnv>, modelId: string, alias: string): Promise<SplitView> {
  const { db, canaryWatch } = c.var.config;
  const split = await getSplit(db, modelId, alias);
  const [stable, canary, lastEnded, stats] = await Promise.all([
    getAlias(db, modelId, alias),
    split ? getAlias(db, modelId, split.to_alias) : null,
    lastEndedSplit(db, modelId, alias),
    split ? canaryWatch.getByName(watchName(modelId, alias)).stats(split.id) : [],
  ]);
  return {
    object: "alias.split",
    model_id: modelId,
    alias,
    split,
    stable_version: stable?.version ?? null,
    canary_version: canary?.version ?? null,
    stats,
    last_ended: lastEnded,
  };
}

/**
 * `/admin/models/{id}/aliases/{alias}/split`: an alias's canary split. Reading takes `models.read`;
 * starting, retuning and stopping one take `models.approve` (the versions on both sides got there by
 * approved promotions). Changes are audited with before and after.
 */
export function registerAdminCanary(app: Hono<AppEnv>): void {
  onOperation(app, "getAliasSplit", adminGuard("getAliasSplit"), adminAudit("split.read"), async (c) => {
    const model = await existingModel(c);
    return c.json(await viewOf(c, model.id, aliasParam(c)));
  });

  onOperation(
    app,
    "setAliasSplit",
    adminGuard("setAliasSplit"),
    adminAudit("split.set"),
    limitAdminBody,
    async (c) => {
      const model = await existingModel(c);
      const alias = aliasParam(c);
      const body = await parseJsonBody(c, splitBodySchema);
      const started = await startSplit(c.var.config.db, model.id, alias, body, actorOf(c.var.principal));
      if (!started.ok) throw registryProblem(started.error);
      noteChange(c, started.value, { alias });
      return c.json(await viewOf(c, model.id, alias));
    },
  );

  onOperation(
    app,
    "deleteAliasSplit",
    adminGuard("deleteAliasSplit"),
    adminAudit("split.stop"),
    async (c) => {
      const model = await existingModel(c);
      const alias = aliasParam(c);
      const { db, canaryWatch } = c.var.config;
      const running = await getSplit(db, model.id, alias);
      if (running === null)
        throw new SdgateError("not_found", `'${model.id}@${alias}' has no canary split running.`, {
          param: "alias",
        });
      const stats = await canaryWatch.getByName(watchName(model.id, alias)).stats(running.id);
      const ended = await endSplit(db, model.id, alias, {
        reason: "stopped",
        by: actorOf(c.var.principal),
        detail: { stats },
        splitId: running.id,
      });
      noteChange(c, { before: ended, after: null }, { alias });
      return c.json(await viewOf(c, model.id, alias));
    },
  );
}
