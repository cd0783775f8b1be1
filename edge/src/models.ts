import { type ModelInfo, modelInfoSchema, SdgateError, TINY_MODEL } from "@sdgate/shared";
import { z } from "zod";
import type { ApiKey } from "./keys/api-key.ts";

/**
 * The models the edge accepts: the built-in `tiny` plus the operator's own (`SDGATE_MODELS`, a JSON
 * list of `{ id, description?, architecture?, defaults?, limits? }`; without `architecture`, the
 * backends' report decides it: `model-registry/model-architecture.ts`); an operator entry with the
 * id `tiny` replaces it.
 */
export const modelCatalogSchema = z
  .array(modelInfoSchema)
  .max(100)
  .refine((models) => new Set(models.map((m) => m.id)).size === models.length, "model ids must be unique")
  .default([])
  .transform((models): readonly ModelInfo[] => [
    ...(models.some((m) => m.id === TINY_MODEL.id) ? [] : [TINY_MODEL]),
    ...models,
  ]);

/** `created` in `GET /v1/models` (unix seconds): when the catalog entry was added, not when it was built. */
export const MODEL_CREATED_S = 1_780_000_000;

export function findModel(catalog: readonly ModelInfo[], id: string): ModelInfo | undefined {
  return catalog.find((model) => model.id === id);
}

/**
 * The catalog's model `id`, or 404 `model_not_found` naming `model`. Whether the key may use it is
 * for the key's Durable Object to say (`authorize` with `model`): the record a route holds may be a
 * minute older than a `PATCH` of the key's models, in either direction.
 *
 * @example
 * const model = modelFor(config.models, request.model ?? DEFAULT_MODEL_ID);
 */
export function modelFor(catalog: readonly ModelInfo[], id: string): ModelInfo {
  const model = findModel(catalog, id);
  if (!model)
    throw new SdgateError("model_not_found", `The model '${id}' does not exist.`, { param: "model" });
  return model;
}

/** The 403 for a key limited to other models than `modelId`. */
export function modelNotAllowed(key: Pick<ApiKey, "models">, modelId: string): SdgateError {
  return new SdgateError(
    "model_not_allowed",
    `This API key may not use the model '${modelId}'; it may use ${(key.models ?? []).join(", ")}.`,
    { param: "model" },
  );
}
