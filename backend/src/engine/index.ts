/**
 * sdgate's Stable Diffusion engine, usable without the server: CLIP tokenizer, torch-compatible RNG,
 * schedulers, the ONNX Runtime text-to-image pipeline and image encoding.
 */
export {
  abortError,
  InvalidArgumentError,
  isInvalidArgumentError,
  isModelLoadError,
  ModelLoadError,
} from "./errors.ts";
export { encodeImage, type ImageFormat, imageFormats } from "./image/encode-image.ts";
export { loadPipeline } from "./pipeline/load-pipeline.ts";
export type {
  EngineLogger,
  GeneratedImage,
  GenerateOptions,
  GenerationProgress,
  GenerationRequest,
  GenerationResult,
  Pipeline,
  PipelineOptions,
} from "./pipeline/types.ts";
export { createGenerator, type Generator } from "./rng/torch-generator.ts";
export {
  createScheduler,
  EulerDiscreteScheduler,
  type Scheduler,
  type SchedulerConfig,
  type SchedulerStepResult,
  schedulerNames,
} from "./schedulers/index.ts";
export { ClipTokenizer, type ClipTokenizerOptions } from "./tokenizer/clip-tokenizer.ts";
