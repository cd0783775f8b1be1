import type { RngName } from "../rng/torch-generator.ts";
import type { ModelFamily, ModelTraits } from "./detect-model.ts";

export type { RngName } from "../rng/torch-generator.ts";
export type { ModelFamily, ModelTraits } from "./detect-model.ts";

/** Seeds are numbers (safe integers) or bigints up to 2^64 − 1; results use the request's kind. */
export type Seed = number | bigint;

/** An 8-bit RGB image: width × height × 3 bytes, row-major. */
export interface RgbImage {
  rgb: Uint8Array;
  width: number;
  height: number;
}

/** What one generation asks for. */
export interface GenerationRequest<S extends Seed = number> {
  prompt: string;
  /** What to steer away from; empty when absent (SDXL then uses zero embeddings, as diffusers does). */
  negativePrompt?: string;
  /** Pixels; a multiple of 8. */
  width: number;
  /** Pixels; a multiple of 8. */
  height: number;
  steps: number;
  /** Classifier-free guidance weight; ≤ 1 turns guidance off (one UNet pass per step). LCM embeds it instead. */
  guidanceScale: number;
  /** Image i uses seed + i. */
  seed: S;
  /** Images to make, default 1. */
  n?: number;
  /** A scheduler name or A1111/ComfyUI alias; default by model (`euler`, `lcm` for LCM, `euler_a` for Turbo). */
  scheduler?: string;
  /** Default `torch_cpu`. */
  rng?: RngName;
  /** Image to image: the starting image, `width` × `height`. */
  image?: RgbImage;
  /** How much of `image` to repaint, in (0, 1]; default 0.8 for img2img, 1 for inpainting (as diffusers). */
  strength?: number;
  /** Inpainting: white repaints, black keeps; `width` × `height`, needs `image`. */
  mask?: RgbImage;
}

/** Text and recipe that travel with an image into its file (see `encodeImage`). */
export interface ImageMetadata {
  /** A1111's `parameters` infotext. */
  parameters: string;
  /** Every resolved parameter, as JSON. */
  recipe: Record<string, unknown>;
}

export interface GeneratedImage<S extends Seed = number> extends RgbImage {
  seed: S;
  /** Written into the encoded file by `encodeImage` unless it is told otherwise. */
  metadata?: ImageMetadata;
}

/** Milliseconds per stage; image encoding is the caller's. */
export interface StageTimingsMs {
  tokenize: number;
  textEncode: number;
  /** Starting latents: the noise, and for img2img and inpainting the VAE encoder. */
  prepareLatents: number;
  denoise: number;
  decode: number;
  total: number;
}

export interface GenerationResult<S extends Seed = number> {
  images: GeneratedImage<S>[];
  timingsMs: StageTimingsMs;
  executionProvider: string;
  /** A1111-style short hash: the first 10 hex digits of the UNet weights' SHA-256. */
  modelHash: string;
  family: ModelFamily;
}

export interface GenerationProgress {
  /** Steps finished for the current image, 1-based. */
  step: number;
  steps: number;
  /** Which image, 0-based, of `images`. */
  image: number;
  images: number;
}

export interface GenerateOptions {
  onProgress?: (progress: GenerationProgress) => void;
  /** Aborting stops the generation between steps with an `AbortError`. */
  signal?: AbortSignal;
}

export interface EngineLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

export interface PipelineOptions {
  /** onnxruntime execution providers in order of preference; default `["cuda", "webgpu", "cpu"]`. */
  executionProviders?: string[];
  logger?: EngineLogger;
  /** The name written as A1111's `Model:`; default the folder's name. */
  modelName?: string;
}

/** A loaded model: its sessions are created once and reused by every generation. */
export interface Pipeline {
  readonly modelDir: string;
  /** The execution provider the sessions run on. */
  readonly executionProvider: string;
  readonly family: ModelFamily;
  readonly traits: ModelTraits;
  readonly modelHash: string;
  generate<S extends Seed = number>(
    request: GenerationRequest<S>,
    options?: GenerateOptions,
  ): Promise<GenerationResult<S>>;
  /** Free the sessions; the pipeline cannot generate afterwards. */
  release(): Promise<void>;
}
