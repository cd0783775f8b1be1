import { type ModelInfo, TINY_MODEL } from "@sdgate/shared";

/** The models the edge accepts. Later this comes from the backends' registry; for now, the tiny model. */
export const MODEL_CATALOG: readonly ModelInfo[] = [TINY_MODEL];

/** `created` in `GET /v1/models` (unix seconds): when the catalog entry was added, not when it was built. */
export const MODEL_CREATED_S = 1_780_000_000;

export function findModel(id: string): ModelInfo | undefined {
  return MODEL_CATALOG.find((model) => model.id === id);
}
