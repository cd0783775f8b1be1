import {
  givenSizeConditioning,
  type ResolvedGenerationRequest,
  type ResolvedRefiner,
  SdgateError,
  type SizeConditioning,
  stepCounts,
} from "@sdgate/shared";
import {
  type BatchEntry,
  type BatchOutcome,
  type GenerateOptions,
  type GenerationProgress,
  type GenerationRequest,
  InvalidArgumentError,
} from "../engine/index.ts";
import type { Logger } from "../logger.ts";
import { buildResponse } from "./build-response.ts";
import { type ControlResources, controlMaps } from "./control-resources.ts";
import type {
  BatchReport,
  CancelReason,
  Engine,
  EngineJob,
  EngineListener,
  JobOutcome,
  JobProgress,
  ModelInfo,
} from "./engine.ts";
import { cancelledFailure, engineFailure, INTERNAL_FAILURE } from "./engine-failure.ts";
import { previewImage } from "./latent-preview.ts";
import type { LoadedModel } from "./load-models.ts";

interface Running {
  controller: AbortController;
  reason: CancelReason | undefined;
  /** Progress and the outcome leave in order, though a preview's encoding is asynchronous. */
  tail: Promise<void>;
}

/**
 * The engine on the current thread: the worker thread runs one of these. A batch's jobs share one
 * `generateBatch` call; each job's images are encoded and its failure mapped on its own, so one bad
 * job never fails the others. Input images arrive decoded (`EngineJob.inputs`).
 */
export class InProcessEngine implements Engine {
  readonly #models: Map<string, LoadedModel>;
  readonly #maxBatch: number;
  readonly #logger: Logger;
  readonly #running = new Map<string, Running>();
  readonly #controls: ControlResources | undefined;
  readonly #loraFiles: Readonly<Record<string, string>>;

  /**
   * `adapters.controls`: the ControlNets and annotators (none: ControlNet requests are refused);
   * `adapters.loraFiles`: LoRA files by digest, for requests that apply LoRAs (the route checked they are held).
   */
  constructor(
    models: Map<string, LoadedModel>,
    maxBatch: number,
    logger: Logger,
    adapters: { controls?: ControlResources; loraFiles?: Readonly<Record<string, string>> } = {},
  ) {
    this.#models = models;
    this.#maxBatch = maxBatch;
    this.#logger = logger;
    this.#controls = adapters.controls;
    this.#loraFiles = adapters.loraFiles ?? {};
  }

  get models(): ModelInfo[] {
    return [...this.#models.values()].map((model) => model.info);
  }

  cancel(jobId: string, reason: CancelReason): void {
    const running = this.#running.get(jobId);
    if (running === undefined || running.controller.signal.aborted) return;
    running.reason = reason;
    running.controller.abort(new Error(reason));
  }

  async close(): Promise<void> {
    await Promise.all([...this.#models.values()].map(({ pipeline }) => pipeline.release()));
    await this.#controls?.release();
  }

  async run(jobs: readonly EngineJob[], listener: EngineListener): Promise<BatchReport> {
    const first = jobs[0];
    if (first === undefined) throw new Error("a batch needs at least one job");
    const model = this.#models.get(first.request.model);
    if (model === undefined) throw new Error(`model '${first.request.model}' is not loaded`);
    const startedMs = performance.now();
    const batch = new Map<string, Running>();
    for (const job of jobs) {
      const running: Running = {
        controller: new AbortController(),
        reason: undefined,
        tail: Promise.resolve(),
      };
      batch.set(job.id, running);
      this.#running.set(job.id, running);
    }
    const finish = (job: EngineJob, outcome: JobOutcome) => {
      const running = batch.get(job.id);
      if (running === undefined || !this.#running.has(job.id)) return;
      this.#running.delete(job.id);
      running.tail = running.tail.then(() => listener.onDone(job.id, outcome));
    };
    try {
      const entries: { job: EngineJob; entry: BatchEntry }[] = [];
      for (const job of jobs) {
        const running = batch.get(job.id) as Running;
        try {
          entries.push({ job, entry: await this.#entry(job, running, model, listener, startedMs) });
        } catch (error) {
          finish(job, { ok: false, error: engineFailure(error, running.reason) ?? INTERNAL_FAILURE });
        }
      }
      const outcomes = await this.#generate(model, entries);
      const denoiseMs = outcomes.reduce((ms, o) => Math.max(ms, o.ok ? o.result.timingsMs.denoise : 0), 0);
      await Promise.all(
        entries.map(async ({ job }, i) => {
          const outcome = outcomes[i];
          const running = batch.get(job.id);
          if (outcome?.ok) {
            try {
              const maps = job.request.return_control_maps
                ? controlMaps(entries[i]?.entry.request.controlNet)
                : [];
              const response = await buildResponse(
                job.request,
                outcome.result,
                model.pipeline.safetyChecker,
                maps,
              );
              finish(job, { ok: true, response });
            } catch (error) {
              this.#logger.error("encoding or checking a job's images failed", {
                jobId: job.id,
                error: String(error),
              });
              finish(job, { ok: false, error: INTERNAL_FAILURE });
            }
          } else {
            const failure = engineFailure(outcome?.error, running?.reason);
            if (failure === undefined)
              this.#logger.error("job failed", { jobId: job.id, error: String(outcome?.error) });
            finish(job, { ok: false, error: failure ?? INTERNAL_FAILURE });
          }
        }),
      );
      return {
        model: first.request.model,
        width: first.request.width,
        height: first.request.height,
        images: entries.reduce((sum, { job }) => sum + job.request.n, 0),
        // what ran at this size: img2img runs part of its schedule, and step times are per step run
        steps: stepCounts(first.request).passes[0].steps,
        denoiseMs,
      };
    } catch (error) {
      for (const job of jobs) {
        const reason = batch.get(job.id)?.reason;
        finish(job, { ok: false, error: reason === undefined ? INTERNAL_FAILURE : cancelledFailure(reason) });
      }
      throw error;
    } finally {
      await Promise.all([...batch.values()].map((running) => running.tail));
    }
  }

  /**
   * The batch's entries on the model's pipeline: together through `generateBatch`, except a request
   * with a refiner (its batch key keeps it alone), which `generate` runs with the refiner's pipeline.
   */
  async #generate(
    model: LoadedModel,
    entries: readonly { job: EngineJob; entry: BatchEntry }[],
  ): Promise<BatchOutcome[]> {
    const refined = entries.find(({ job }) => job.request.refiner !== undefined);
    if (refined === undefined)
      return await model.pipeline.generateBatch(
        entries.map(({ entry }) => entry),
        { maxBatch: this.#maxBatch },
      );
    if (entries.length > 1) throw new Error("a request with a refiner runs alone (its batch key is null)");
    const { job, entry } = refined;
    try {
      const refiner = refinerOption(this.#models, job.request.refiner as ResolvedRefiner);
      const options = {
        refiner,
        ...(entry.signal === undefined ? {} : { signal: entry.signal }),
        ...(entry.onProgress === undefined ? {} : { onProgress: entry.onProgress }),
      };
      return [{ ok: true, result: await model.pipeline.generate(entry.request, options) }];
    } catch (error) {
      return [{ ok: false, error: error instanceof Error ? error : new Error(String(error)) }];
    }
  }

  async #entry(
    job: EngineJob,
    running: Running,
    model: LoadedModel,
    listener: EngineListener,
    startedMs: number,
  ): Promise<BatchEntry> {
    const safetyCheck = job.request.safety_check;
    if (safetyCheck !== undefined && model.pipeline.safetyChecker === undefined) {
      // refused before any work: a check that cannot run must not pass images silently
      throw new InvalidArgumentError(
        "safety_check",
        safetyCheck,
        `needs a safety checker, and model '${model.info.id}' has none (no safety_checker/model.onnx)`,
      );
    }
    const request = toEngineRequest(job, this.#loraFiles);
    if (job.request.controlnet !== undefined) {
      if (this.#controls === undefined)
        throw new SdgateError("adapter_unavailable", "This backend serves no ControlNet models.", {
          param: "controlnet",
        });
      const units = await this.#controls.units(job.request, job.inputs);
      if (units !== undefined) request.controlNet = units;
    }
    const sdxl = model.pipeline.traits.architecture === "sdxl";
    let stepsDone = 0;
    const onProgress = (p: GenerationProgress) => {
      stepsDone++;
      const batch = p.batch ?? 1;
      const stepsLeft =
        p.steps - p.step + p.steps * Math.ceil(Math.max(0, p.images - p.image - batch) / batch);
      const progress: JobProgress = {
        step: p.step,
        steps: p.steps,
        image: p.image,
        images: p.images,
        etaMs: Math.round(((performance.now() - startedMs) / stepsDone) * stepsLeft),
      };
      const preview = p.preview === undefined ? undefined : previewImage(p.preview, sdxl);
      running.tail = running.tail.then(async () => {
        const image = await preview?.catch(() => undefined);
        listener.onProgress(job.id, image === undefined ? progress : { ...progress, preview: image });
      });
    };
    return {
      request,
      signal: running.controller.signal,
      onProgress,
      previewEverySteps: job.previewEverySteps,
    };
  }
}

/** The API's snake_case request as the engine takes it, with the input images decoded on arrival. */
function toEngineRequest(
  { request, inputs }: EngineJob,
  loraFiles: Readonly<Record<string, string>>,
): GenerationRequest {
  const { width, height } = request;
  const { image, mask } = inputs;
  if (
    (request.image !== null) !== (image !== undefined) ||
    (request.mask !== null) !== (mask !== undefined)
  ) {
    throw new Error(`job's input images were not decoded before it was queued`);
  }
  return {
    ...(image ? { image } : {}),
    ...(mask ? { mask } : {}),
    ...(request.inpainting_fill === undefined ? {} : { inpaintingFill: request.inpainting_fill }),
    ...(request.strength === null ? {} : { strength: request.strength }),
    ...(request.aesthetic_score === undefined ? {} : { aestheticScore: request.aesthetic_score }),
    ...(request.negative_aesthetic_score === undefined
      ? {}
      : { negativeAestheticScore: request.negative_aesthetic_score }),
    rng: request.rng,
    prompt: request.prompt,
    negativePrompt: request.negative_prompt,
    width,
    height,
    steps: request.steps,
    guidanceScale: request.guidance_scale,
    scheduler: request.scheduler,
    seed: request.seed,
    n: request.n,
    ...(request.clip_skip === undefined ? {} : { clipSkip: request.clip_skip }),
    ...(request.hires === undefined ? {} : { hires: request.hires }),
    ...sizeConditioningOf(request),
    ...(request.model_version === undefined ? {} : { modelVersion: request.model_version }),
    ...(request.lora === undefined
      ? {}
      : {
          lora: request.lora.map((lora) => {
            const path = loraFiles[lora.digest];
            if (path === undefined) throw new Error(`LoRA ${lora.name} (${lora.digest}) is not held`);
            return { ...lora, path };
          }),
        }),
  };
}

/** The request's SDXL size conditioning, as given (none: the engine's defaults). */
function sizeConditioningOf(request: ResolvedGenerationRequest): { sizeConditioning?: SizeConditioning } {
  const given = givenSizeConditioning(request);
  return Object.keys(given).length === 0 ? {} : { sizeConditioning: given };
}

/**
 * The request's refiner as the engine takes it: its model's pipeline from the ones this backend
 * loaded (the route refused a refiner it does not serve), which must have been detected as an SDXL
 * refiner (400 naming `refiner.model`).
 */
function refinerOption(
  models: ReadonlyMap<string, LoadedModel>,
  refiner: ResolvedRefiner,
): NonNullable<GenerateOptions["refiner"]> {
  const loaded = models.get(refiner.model);
  if (loaded === undefined)
    throw new SdgateError("model_not_found", `Model '${refiner.model}' is not served by this backend.`, {
      param: "refiner.model",
    });
  if (!loaded.pipeline.traits.refiner)
    throw new InvalidArgumentError(
      "refiner.model",
      refiner.model,
      `is not an SDXL refiner (its folder was detected as ${loaded.pipeline.family})`,
    );
  return { pipeline: loaded.pipeline, switchAt: refiner.switch_at, switchBy: refiner.switch_by };
}
