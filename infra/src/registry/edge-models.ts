import { type ModelArchitecture, modelInfoSchema, type RegistrySettings } from "@sdgate/shared";
import { z } from "zod";

/** One entry of the edge's `SDGATE_MODELS`, as written (the edge fills in SD 1.5's defaults and limits). */
export type EdgeModelEntry = z.input<typeof modelInfoSchema>;

/**
 * The models the edge must accept for this stack: each cluster's `model.id` (with its `architecture`
 * when the config names one), then any id the registry's `models` (content hashes) names that no
 * cluster does, in that order and once each. The
 * stack exports it as `edgeModels`; without it the edge knows only `tiny` and answers every other
 * model with 404 `model_not_found`.
 *
 * @example
 * export const edgeModels = edgeModelCatalog(config.clusters, config.registry);
 */
export function edgeModelCatalog(
  clusters: readonly { model: { id: string; architecture?: ModelArchitecture | undefined } }[],
  registry: Pick<RegistrySettings, "models"> = {},
): EdgeModelEntry[] {
  const entries = new Map<string, EdgeModelEntry>();
  for (const { model } of clusters) {
    const known = entries.get(model.id);
    const architecture = model.architecture ?? known?.architecture;
    entries.set(model.id, { id: model.id, ...(architecture === undefined ? {} : { architecture }) });
  }
  for (const id of Object.keys(registry.models ?? {})) if (!entries.has(id)) entries.set(id, { id });
  return [...entries.values()];
}

const catalogSchema = z
  .array(modelInfoSchema)
  .min(1, "names no model: the edge would serve only `tiny`")
  .refine((models) => new Set(models.map((m) => m.id)).size === models.length, "model ids must be unique");

/** A saved or exported catalog, checked as the edge would check `SDGATE_MODELS`. */
export function edgeModelsProblems(
  value: unknown,
): { ok: true; value: EdgeModelEntry[] } | { ok: false; problems: string } {
  const result = catalogSchema.safeParse(value);
  if (result.success) return { ok: true, value: value as EdgeModelEntry[] };
  return {
    ok: false,
    problems: result.error.issues
      .map((issue) => `SDGATE_MODELS${issue.path.map((p) => `.${String(p)}`).join("")}: ${issue.message}`)
      .join("\n"),
  };
}
