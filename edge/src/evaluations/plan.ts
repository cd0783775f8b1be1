import {
  type EvaluationBody,
  type EvaluationItem,
  type EvaluationOutput,
  type EvaluationRun,
  emptySideStats,
  evaluationBodySchema,
  type ModelVersion,
  type ResolvedGenerationRequest,
  randomHex,
  SdgateError,
} from "@sdgate/shared";
import type { Registry } from "../backends/registry.ts";
import type { CallerLocation } from "../backends/select.ts";
import type { EdgeConfig } from "../env.ts";
import { resolveRef } from "../model-registry/index.ts";
import { resolveServed, type ServingConfig, servingModel } from "../model-registry/serving.ts";

/** A new evaluation run's id, `evl_` and 64 bits from the CSPRNG. */
export const newEvaluationId = () => `evl_${randomHex(8)}`;

/** One prompt and seed, as each side runs it. */
export interface PlannedItem {
  index: number;
  candidate: ResolvedGenerationRequest;
  baseline: ResolvedGenerationRequest;
}

/** What an `EvaluationRun` object needs to run: plain data (no secrets), kept in its storage. */
export interface EvaluationSpec {
  view: EvaluationRun;
  items: PlannedItem[];
  registry: Registry;
  timeoutMs: number;
  location: CallerLocation;
}

const pending = (): EvaluationOutput => ({
  status: "pending",
  latency_ms: null,
  image_url: null,
  safety: null,
  error: null,
});

async function versionOf(db: D1Database, modelId: string, ref: string, param: string): Promise<ModelVersion> {
  const resolved = await resolveRef(db, `${modelId}@${ref}`);
  if (!resolved.ok) throw new SdgateError("invalid_request", resolved.error.message, { param });
  return resolved.value.version;
}

/**
 * Resolves a run's candidate and baseline to the versions (and digests) they name now, and plans each
 * prompt × seed on both, pinned (`model@vN`) so the run keeps comparing the same files even if an
 * alias moves meanwhile. Both sides run with the output safety check the baseline's alias (else the
 * model's default policy) asks for. A version or alias that does not exist is a 400 naming the field.
 *
 * @example
 * const spec = await planEvaluation(config, "sd15", { candidate: "v3" }, { actor, location });
 */
export async function planEvaluation(
  config: Pick<EdgeConfig, "db" | "models" | "registry" | "health" | "backendTimeoutMs">,
  modelId: string,
  body: EvaluationBody,
  context: { actor: string; location: CallerLocation; now?: Date },
): Promise<EvaluationSpec> {
  const parsed = evaluationBodySchema.parse(body);
  const [candidate, baseline] = [
    await versionOf(config.db, modelId, parsed.candidate, "candidate"),
    await versionOf(config.db, modelId, parsed.baseline, "baseline"),
  ];
  const serving: ServingConfig = { ...config, governance: "registry" };
  const [candidateServed, baselineServed, policyServed] = await Promise.all([
    servingModel(serving, `${modelId}@${candidate.version}`),
    servingModel(serving, `${modelId}@${baseline.version}`),
    servingModel(serving, `${modelId}@${parsed.baseline}`),
  ]);
  const safety = policyServed.safety;
  const id = newEvaluationId();
  const items: PlannedItem[] = [];
  const viewItems: EvaluationItem[] = [];
  for (const prompt of parsed.prompts) {
    for (let seed = 1; seed <= parsed.seeds; seed++) {
      const request = {
        prompt,
        n: 1,
        steps: parsed.steps,
        ...(parsed.size === undefined ? {} : { size: parsed.size }),
      };
      const index = items.length;
      items.push({
        index,
        candidate: resolveServed(request, { ...candidateServed, safety }, seed),
        baseline: resolveServed(request, { ...baselineServed, safety }, seed),
      });
      viewItems.push({ index, prompt, seed, candidate: pending(), baseline: pending() });
    }
  }
  const side = (version: ModelVersion) =>
    emptySideStats(`${modelId}@${version.version}`, version.version, version.digest);
  const view: EvaluationRun = {
    id,
    model_id: modelId,
    status: "queued",
    baseline_ref: parsed.baseline,
    steps: parsed.steps,
    size: parsed.size ?? null,
    seeds: parsed.seeds,
    safety_check: safety !== "off",
    created_by: context.actor,
    created_at: (context.now ?? new Date()).toISOString(),
    finished_at: null,
    error: null,
    candidate: side(candidate),
    baseline: side(baseline),
    items: viewItems,
  };
  return {
    view,
    items,
    registry: config.registry,
    timeoutMs: config.backendTimeoutMs,
    location: context.location,
  };
}
