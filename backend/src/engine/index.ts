/**
 * sdgate's Stable Diffusion engine, usable without the server: CLIP tokenizer, torch-compatible RNG,
 * schedulers, the onnxruntime pipeline (txt2img, img2img, inpainting; SD 1.x/2.x, SDXL, LCM, Turbo),
 * and image encoding with A1111-compatible metadata.
 */

export { AnnotatorSession } from "./control/annotator-session.ts";
export type { ControlNetUnit } from "./control/control-unit.ts";
export type { ControlNetSession } from "./control/controlnet-session.ts";
export { loadControlNet } from "./control/load-controlnet.ts";
export { ANNOTATOR_FILE, type ModelPreprocessor, preprocess } from "./control/preprocess.ts";
export {
  abortError,
  InvalidArgumentError,
  isInvalidArgumentError,
  isModelLoadError,
  ModelLoadError,
} from "./errors.ts";
export { decodeImage } from "./image/decode-image.ts";
export {
  type EncodeImageOptions,
  encodeImage,
  type ImageFormat,
  imageFormats,
} from "./image/encode-image.ts";
export { type ReadImageMetadata, readImageMetadata } from "./image/read-metadata.ts";
export { blackImage, blurImage } from "./image/safety-actions.ts";
export { DEFAULT_EXECUTION_PROVIDERS, loadPipeline } from "./loading/load-pipeline.ts";
export type { RequestLora } from "./lora/lora-set.ts";
export { DEFAULT_AESTHETIC_SCORES } from "./pipelines/aesthetic-score.ts";
export { batchKey } from "./pipelines/batch-key.ts";
export {
  REFINER_SWITCH_BY,
  type RefinerSwitchBy,
  refinerSwitchStep,
} from "./pipelines/refiner-switch.ts";
export { createGenerator, type Generator, RNG_NAMES } from "./rng/torch-generator.ts";
export {
  a1111SamplerName,
  createScheduler,
  EulerDiscreteScheduler,
  resolveSchedulerName,
  SCHEDULER_ALIASES,
  SCHEDULER_NAMES,
  type Scheduler,
  type SchedulerConfig,
  type SchedulerName,
  type SchedulerStepResult,
  schedulerNames,
} from "./schedulers/index.ts";
export { ClipTokenizer, type ClipTokenizerOptions } from "./tokenizer/clip-tokenizer.ts";
export type {
  BatchEntry,
  BatchOptions,
  BatchOutcome,
  EngineLogger,
  GeneratedImage,
  GenerateOptions,
  GenerationProgress,
  GenerationRequest,
  GenerationResult,
  ImageMetadata,
  LatentPreview,
  ModelFamily,
  ModelTraits,
  Pipeline,
  PipelineOptions,
  RgbImage,
  RngName,
  SafetyChecker,
  SafetyVerdict,
  Seed,
  StageTimingsMs,
} from "./types.ts";
