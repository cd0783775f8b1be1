import { type BackendGenerateResponse, type ResolvedGenerationRequest, SdgateError } from "@sdgate/shared";
import { encodeImage, isInvalidArgumentError, loadPipeline, type Pipeline } from "../engine/index.ts";
import type { Logger } from "../logger.ts";
import type { ImageGenerator } from "./image-generator.ts";
import { decodeInputImage } from "./input-image.ts";
import { SerialLock } from "./serial-lock.ts";

export interface EngineGeneratorOptions {
  /** Model id → model folder (a diffusers-style ONNX export). */
  models: Record<string, string>;
  executionProviders: string[];
  logger: Logger;
}

/** An {@link ImageGenerator} that runs the engine's pipelines, one generation at a time. */
export class EngineImageGenerator implements ImageGenerator {
  readonly #pipelines: Map<string, Pipeline>;
  readonly #lock = new SerialLock();

  private constructor(pipelines: Map<string, Pipeline>) {
    this.#pipelines = pipelines;
  }

  /** Loads every model and runs one small generation with each, so the first request is not the slow one. */
  static async load(options: EngineGeneratorOptions): Promise<EngineImageGenerator> {
    const pipelines = new Map<string, Pipeline>();
    for (const [id, dir] of Object.entries(options.models)) {
      const startedMs = performance.now();
      const pipeline = await loadPipeline(dir, {
        executionProviders: options.executionProviders,
        logger: options.logger,
        modelName: id,
      });
      await pipeline.generate({
        prompt: "warm up",
        width: 64,
        height: 64,
        steps: 1,
        guidanceScale: 2,
        seed: 0,
      });
      options.logger.info("model loaded", {
        model: id,
        family: pipeline.family,
        executionProvider: pipeline.executionProvider,
        ms: Math.round(performance.now() - startedMs),
      });
      pipelines.set(id, pipeline);
    }
    return new EngineImageGenerator(pipelines);
  }

  get modelIds(): string[] {
    return [...this.#pipelines.keys()];
  }

  generate(request: ResolvedGenerationRequest, signal: AbortSignal): Promise<BackendGenerateResponse> {
    const pipeline = this.#pipelines.get(request.model);
    if (!pipeline) throw new Error(`Model '${request.model}' is not loaded.`);
    return this.#lock.run(async () => {
      signal.throwIfAborted();
      const result = await runPipeline(pipeline, request, signal);
      const encodeStartedMs = performance.now();
      const images = await Promise.all(
        result.images.map(async (image) => {
          const bytes = await encodeImage(image, request.output_format, request.output_quality ?? undefined);
          return {
            seed: image.seed,
            width: image.width,
            height: image.height,
            b64: Buffer.from(bytes).toString("base64"),
          };
        }),
      );
      const imageEncodeMs = performance.now() - encodeStartedMs;
      const { tokenize, textEncode, prepareLatents, denoise, decode, total } = result.timingsMs;
      return {
        model: request.model,
        model_hash: result.modelHash,
        execution_provider: result.executionProvider,
        output_format: request.output_format,
        images,
        timings_ms: {
          tokenize,
          prepare_latents: prepareLatents,
          text_encode: textEncode,
          denoise,
          decode,
          image_encode: imageEncodeMs,
          total: total + imageEncodeMs,
        },
      };
    });
  }
}

/** The engine names arguments in camelCase; the API (and so the client's `param`) in snake_case. */
const API_PARAM: Record<string, string> = {
  negativePrompt: "negative_prompt",
  guidanceScale: "guidance_scale",
};

/** Runs the pipeline, turning the engine's expected failures into errors the client can act on. */
async function runPipeline(pipeline: Pipeline, request: ResolvedGenerationRequest, signal: AbortSignal) {
  const { width, height } = request;
  const image =
    request.image === null ? undefined : await decodeInputImage(request.image, width, height, "image");
  const mask =
    request.mask === null ? undefined : await decodeInputImage(request.mask, width, height, "mask");
  try {
    return await pipeline.generate(
      {
        ...(image ? { image } : {}),
        ...(mask ? { mask } : {}),
        ...(request.strength === null ? {} : { strength: request.strength }),
        rng: request.rng,
        prompt: request.prompt,
        negativePrompt: request.negative_prompt,
        width: request.width,
        height: request.height,
        steps: request.steps,
        guidanceScale: request.guidance_scale,
        scheduler: request.scheduler,
        seed: request.seed,
        n: request.n,
      },
      { signal },
    );
  } catch (error) {
    if (isInvalidArgumentError(error)) {
      const param = API_PARAM[error.param] ?? error.param;
      const message = error.message.replace(`\`${error.param}\``, `'${param}'`);
      throw new SdgateError("invalid_request", `Invalid '${param}': ${message}.`, {
        param,
        cause: error,
      });
    }
    if (signal.aborted) {
      throw new SdgateError("timeout", "The generation was cancelled before it finished.", { cause: error });
    }
    throw error;
  }
}
