import {
  grantCovers,
  type Model,
  type ModelInfo,
  type ModelList,
  modelInfoSchema,
  RESOLUTION_BUCKETS,
} from "@sdgate/shared";
import type { Context, Hono } from "hono";
import type { AppEnv } from "../hono-env.ts";
import { mayUseModel } from "../keys/api-key.ts";
import { keyAuth } from "../keys/authorize.ts";
import { admitRequestOnly } from "../limits/index.ts";
import { listAliases, listModels, listVersions } from "../model-registry/index.ts";
import { effectiveModelInfo } from "../model-registry/model-architecture.ts";
import { findModel, MODEL_CREATED_S } from "../models.ts";
import { teamRulesForKey } from "../policies/cache.ts";
import { onOperation } from "./operation.ts";

function entryOf(info: ModelInfo, created: number): Model {
  return {
    id: info.id,
    object: "model",
    created,
    owned_by: "sdgate",
    description: info.description,
    architecture: info.architecture,
    resolution_buckets: [...RESOLUTION_BUCKETS[info.architecture]],
    defaults: info.defaults,
    limits: info.limits,
  };
}

/**
 * A registry edge's list: each registered model the key and its team may use some alias or version
 * of, with those aliases (and where they point now) and the versions they may pin. Architecture,
 * defaults and limits are the catalog's for the model's id, else SD 1.5's, the architecture the
 * backends' where the catalog leaves it out, as serving takes them.
 */
async function registryModels(c: Context<AppEnv>): Promise<Model[]> {
  const { db, models: catalog } = c.var.config;
  const key = c.var.apiKey;
  const team = await teamRulesForKey(db, key.id);
  const may = (ref: string) =>
    mayUseModel(key, ref) && (team?.grants == null || grantCovers(team.grants, ref));
  const entries = await Promise.all(
    (await listModels(db)).map(async (record): Promise<Model | null> => {
      const [aliases, versions] = await Promise.all([
        listAliases(db, record.id),
        listVersions(db, record.id),
      ]);
      const usable = aliases
        .filter((alias) => may(`${record.id}@${alias.name}`))
        .map((alias) => ({ name: alias.name, version: alias.version }));
      const pinnable = versions
        .filter((version) => may(`${record.id}@${version.version}`))
        .map((version) => version.version);
      if (usable.length === 0 && pinnable.length === 0) return null;
      const info = await effectiveModelInfo(
        c.var.config,
        findModel(catalog, record.id) ?? modelInfoSchema.parse({ id: record.id }),
      );
      const created = Math.floor(Date.parse(record.created_at) / 1000);
      return {
        ...entryOf(info, created),
        description: record.description || info.description,
        aliases: usable,
        versions: pinnable,
      };
    }),
  );
  return entries.filter((entry) => entry !== null);
}

/**
 * `GET /v1/models`: OpenAI's list shape. Like OpenAI, it needs a key (`read`, which `generate`
 * implies) and lists the models that key may use; each entry adds sdgate's defaults and limits. On
 * a registry edge (`SDGATE_MODEL_GOVERNANCE=registry`) that is what the registry holds and the key
 * and its team are granted, with the aliases and versions they may name; else the static catalog.
 */
export function registerModels(app: Hono<AppEnv>): void {
  onOperation(app, "listModels", keyAuth("listModels"), async (c) => {
    await admitRequestOnly(c);
    const list: ModelList = { object: "list", data: await modelsForKey(c) };
    return c.json(list);
  });
}

/** The models the route's key may use, as `GET /v1/models` lists them (A1111's `/sd-models` too). */
export async function modelsForKey(c: Context<AppEnv>): Promise<Model[]> {
  const { config, apiKey } = c.var;
  return config.governance === "registry"
    ? await registryModels(c)
    : await Promise.all(
        config.models
          .filter((model) => mayUseModel(apiKey, model.id))
          .map(async (model) => entryOf(await effectiveModelInfo(config, model), MODEL_CREATED_S)),
      );
}
