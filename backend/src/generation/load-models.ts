import type { ModelArchitecture } from "@sdgate/shared";
import { loadPipeline, type ModelTraits, type Pipeline } from "../engine/index.ts";
import type { Logger } from "../logger.ts";
import type { ModelInfo } from "./engine.ts";

/**
 * The architecture the edge prices and sizes a model by: the detected base, or SDXL's refiner (an
 * SDXL UNet of its own). LCM, Turbo and inpainting variants are their base's (traits.architecture).
 */
export function architectureOf(traits: Pick<ModelTraits, "architecture" | "refiner">): ModelArchitecture {
  return traits.refiner ? "sdxl-refiner" : traits.architecture;
}

export interface LoadedModel {
  pipeline: Pipeline;
  info: ModelInfo;
}

/**
 * Loads every model and runs one small generation (and its safety check) with each, so the first request is not the slow
 * one (session initialisation and the first run's allocations happen here, before `/readyz` says yes).
 */
export async function loadModels(
  models: Record<string, string>,
  executionProviders: string[],
  logger: Logger,
): Promise<Map<string, LoadedModel>> {
  const loaded = new Map<string, LoadedModel>();
  try {
    for (const [id, dir] of Object.entries(models)) {
      const startedMs = performance.now();
      const pipeline = await loadPipeline(dir, { executionProviders, logger, modelName: id });
      loaded.set(id, {
        pipeline,
        info: {
          id,
          executionProvider: "",
          family: "",
          architecture: architectureOf(pipeline.traits),
          loadSeconds: 0,
          maxPromptChunks: 1,
          embedsGuidance: pipeline.embedsGuidance,
        },
      });
      const warmUp = await pipeline.generate({
        prompt: "warm up",
        width: 64,
        height: 64,
        steps: 1,
        guidanceScale: 2,
        seed: 0,
      });
      await pipeline.safetyChecker?.check(warmUp.images);
      const loadSeconds = (performance.now() - startedMs) / 1000;
      loaded.set(id, {
        pipeline,
        info: {
          id,
          executionProvider: pipeline.executionProvider,
          family: pipeline.family,
          architecture: architectureOf(pipeline.traits),
          loadSeconds,
          maxPromptChunks: pipeline.maxPromptChunks,
          embedsGuidance: pipeline.embedsGuidance,
        },
      });
      logger.info("model loaded", {
        model: id,
        family: pipeline.family,
        executionProvider: pipeline.executionProvider,
        ms: Math.round(loadSeconds * 1000),
      });
    }
  } catch (error) {
    await Promise.all([...loaded.values()].map(({ pipeline }) => pipeline.release()));
    throw error;
  }
  return loaded;
}
