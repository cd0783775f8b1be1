import { type ModelInfo, modelInfoSchema, TINY_MODEL } from "@sdgate/shared";
import { z } from "zod";

/**
 * The models the edge accepts: the built-in `tiny` plus the operator's own (`SDGATE_MODELS`, a JSON
 * list of `{ id, description?, defaults?, limits? }`); an operator entry with the id `tiny` replaces it.
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
