import { type Adapter, type AdapterKind, parseModelRef } from "@sdgate/shared";
import type { Context } from "hono";
import type { AppEnv } from "../hono-env.ts";
import { teamRulesForKey } from "../policies/cache.ts";
import { type ServingAdapter, servingAdapters } from "./catalog.ts";

/** Whether grants (`sd15`, `sd15@production`, `sd15@v3`; `undefined`/`null`: all) reach any of a model. */
function grantsReach(grants: readonly string[] | null | undefined, modelId: string): boolean {
  return grants == null || grants.some((grant) => grant === modelId || grant.startsWith(`${modelId}@`));
}

function entryOf(adapter: ServingAdapter): Adapter {
  return {
    object: "adapter",
    kind: adapter.kind,
    name: adapter.name,
    alias: adapter.name,
    digest: adapter.digest,
    description: adapter.description,
    applies_to: [...adapter.applies_to],
    deprecated: adapter.deprecated,
  };
}

/**
 * The LoRAs or ControlNet models (or both, without `kind`) that the calling API key may name: approved
 * or deprecated, for at least one model the key and its team may use (or for `model` only, a model id
 * or reference such as `sd15@production`). For `GET /v1/adapters`, Studio's pickers and A1111's
 * `/sdapi/v1/loras` and ControlNet `model_list`. Needs `c.var.apiKey` (behind `keyAuth`).
 *
 * @example
 * const loras = await listAdapters(c, "lora"); // [{ name: "ink", alias: "ink", digest, applies_to: ["sd15"], … }]
 */
export async function listAdapters(
  c: Context<AppEnv>,
  kind?: AdapterKind,
  model?: string,
): Promise<Adapter[]> {
  const { db } = c.var.config;
  const key = c.var.apiKey;
  const [adapters, team] = await Promise.all([servingAdapters(db), teamRulesForKey(db, key.id)]);
  const parsed = model === undefined ? null : parseModelRef(model);
  const onlyModel = parsed?.ok ? parsed.value.model : model;
  const usable = (modelId: string) =>
    (onlyModel === undefined || modelId === onlyModel) &&
    grantsReach(key.models, modelId) &&
    grantsReach(team?.grants, modelId);
  return adapters
    .filter((adapter) => kind === undefined || adapter.kind === kind)
    .filter((adapter) => adapter.applies_to.some(usable))
    .map(entryOf);
}
