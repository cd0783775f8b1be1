import type { MaskedContent, SizeConditioning } from "@sdgate/shared";
import type { ControlNetUnit } from "./control/control-unit.ts";
import type { InvalidArgumentError } from "./errors.ts";
import type { RequestLora } from "./lora/lora-set.ts";
import type { RefinerSwitchBy } from "./pipelines/refiner-switch.ts";
import type { RngName } from "./rng/torch-generator.ts";

export type { RngName } from "./rng/torch-generator.ts";

/** What the pipeline reports as `family`: the base architecture, or the variant that changes how it runs. */
export type ModelFamily =
  | "sd15"
  | "sd2"
  | "sd2-v"
  | "sdxl"
  | "lcm"
  | "turbo"
  | "sd15-inpaint"
  | "sd2-inpaint"
  | "sdxl-inpaint"
  | "sdxl-refiner";

export type Architecture = "sd1" | "sd2" | "sdxl";

export interface ModelTraits {
  family: ModelFamily;
  architecture: Architecture;
  /** `epsilon` or `v_prediction`, from the scheduler config (diffusers' default `epsilon`). */
  predictionType: string;
  /** A 9-channel UNet that takes the mask and the masked image's latents. */
  inpainting: boolean;
  /** LCM (guidance embedded through `timestep_cond`) or Turbo (adversarially distilled, no CFG needed). */
  distillation: "lcm" | "turbo" | null;
  /** Used when a request names no scheduler. */
  defaultScheduler: string;
  /** The VAE's `scaling_factor` when its config does not say. */
  defaultScalingFactor: number;
  /** Image side the model was trained at (`unet/config.json` `sample_size` × 8). */
  nativeSidePx: number;
  /** SDXL: an empty negative prompt becomes zero embeddings (`force_zeros_for_empty_prompt`). */
  forceZerosForEmptyPrompt: boolean;
  /**
   * SDXL refiner: OpenCLIP bigG alone, and `time_ids` of original size, crop and aesthetic score
   * (diffusers' `requires_aesthetics_score`).
   */
  refiner: boolean;
}

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
  /**
   * Inpainting: what the masked area starts from (A1111's "Masked content"), default "original".
   * "fill" blurs the surrounding colours in before encoding; "latent_noise" and "latent_nothing"
   * replace the masked latents by the seed's noise or by zeros (after that fill, as A1111 does).
   */
  inpaintingFill?: MaskedContent;
  /**
   * A1111's "Clip skip" (default 1, the last layer): 2 conditions on CLIP's layer before the last,
   * as many SD 1.5 fine-tunes expect. Needs an export with `hidden_states.N` outputs (optimum's, or
   * a folder sdgate built); not for SDXL, which already uses the penultimate layer.
   */
  clipSkip?: number;
  /**
   * A1111's "Hires. fix" for txt2img: the image made at `width` × `height`, its latents upscaled by
   * `scale` (bilinear, A1111's "Latent" upscaler) and denoised again at the larger size, from
   * `strength` (default 0.7) of `steps` (default the request's) steps. The image comes out at
   * `width × scale` × `height × scale`, down to multiples of 8.
   */
  hires?: { scale: number; strength?: number; steps?: number };
  /**
   * SDXL only: the size and crop conditioning diffusers' `StableDiffusionXLPipeline` takes
   * (`original_size`, `crops_coords_top_left`, `target_size` and their `negative_*`), with its
   * defaults for those left out (the image's size, no crop). A model that is not SDXL refuses them.
   */
  sizeConditioning?: SizeConditioning;
  /**
   * SDXL refiner only: the aesthetic score its `time_ids` end with, for the prompt's row (default
   * 6.0) and the negative prompt's (default 2.5), as diffusers' `StableDiffusionXLImg2ImgPipeline`'s
   * `aesthetic_score` / `negative_aesthetic_score`. Other models refuse them.
   */
  aestheticScore?: number;
  negativeAestheticScore?: number;
  /**
   * The registry version the edge resolved the request to (`v3` and the digest of its files): written
   * into each image's sdgate recipe, so a file says which approved version made it. It changes no pixel.
   */
  modelVersion?: { version: string; digest: string };
  /**
   * ControlNet units (A1111's ControlNet extension), summed; each map at `width` × `height`. Needs
   * the model's ControlNet UNet (`cnet/model.onnx`, onnx-web's layout). The request runs alone.
   */
  controlNet?: readonly ControlNetUnit[];
  /**
   * LoRAs applied for this request only (the model must be built with LoRA inputs). `<lora:…>` tags
   * in the prompts stay in the image's text and are not encoded; only this list applies LoRAs.
   */
  lora?: readonly RequestLora[];
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
  /** Images of this request that step together in one batched UNet call (from `image` on); 1 unbatched. */
  batch?: number;
  /** On the steps `previewEverySteps` asks for: the current estimate of the clean latents of `image`. */
  preview?: LatentPreview;
}

/** The scheduler's estimate of the final latents (`pred_original_sample`), scaled as the UNet sees them. */
export interface LatentPreview {
  latents: Float32Array;
  /** `[1, channels, height / 8, width / 8]`. */
  dims: readonly [number, number, number, number];
}

/** One request of a batch, with its own cancellation and progress. */
export interface BatchEntry<S extends Seed = number> {
  request: GenerationRequest<S>;
  /** Aborting drops this request's images from the batch at the next step; the others go on. */
  signal?: AbortSignal;
  onProgress?: (progress: GenerationProgress) => void;
  /** Attach a {@link LatentPreview} to every n-th step's progress (and the last); 0 or absent: never. */
  previewEverySteps?: number;
}

/** Each request's own outcome: a refused argument or an abort is a value, so one request cannot fail the others. */
export type BatchOutcome<S extends Seed = number> =
  | { ok: true; result: GenerationResult<S> }
  | { ok: false; error: InvalidArgumentError | Error };

export interface BatchOptions {
  /** Most images in one UNet call (each guided image is two rows); default all of them. */
  maxBatch?: number;
}

export interface GenerateOptions {
  onProgress?: (progress: GenerationProgress) => void;
  /** Aborting stops the generation between steps with an `AbortError`. */
  signal?: AbortSignal;
  /**
   * A1111's "Refiner" with "Refiner switch at": this pipeline denoises the first steps, then the
   * refiner (a pipeline `loadPipeline` made, e.g. SDXL refiner 1.0) the rest, on the same scheduler
   * and generator, conditioned by its own text encoder on the same prompts (and the request's
   * `aestheticScore`s); its VAE decodes. Progress counts all the steps. See `refinerSwitchStep` for
   * where it takes over (`switchBy`, default `"timestep"` as A1111's default).
   */
  refiner?: { pipeline: Pipeline; switchAt: number; switchBy?: RefinerSwitchBy };
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

/** The safety checker's finding on one image. */
export interface SafetyVerdict {
  /** diffusers' `has_nsfw_concepts`: some concept's score passed its threshold. */
  flagged: boolean;
  /** Indices of the concepts that fired; empty when the export does not output its scores. */
  concepts: number[];
  /**
   * A "special care" concept fired, which lowers every concept's threshold by 0.01; always false
   * for an export without `special_scores` (diffusers' own), whose `flagged` still accounts for it.
   */
  specialCare: boolean;
}

/** A model's safety checker (`safety_checker/model.onnx`): scores images, changes nothing. */
export interface SafetyChecker {
  check(images: readonly RgbImage[]): Promise<SafetyVerdict[]>;
}

/** A loaded model: its sessions are created once and reused by every generation. */
export interface Pipeline {
  readonly modelDir: string;
  /** The execution provider the sessions run on. */
  readonly executionProvider: string;
  readonly family: ModelFamily;
  readonly traits: ModelTraits;
  readonly modelHash: string;
  /** Present when the folder has `safety_checker/model.onnx`. */
  readonly safetyChecker: SafetyChecker | undefined;
  /**
   * The most 75-token chunks a prompt may have: a longer one is refused, or, where the UNet's export
   * fixes its text length, cut (see `tokenizePrompts`).
   */
  /** Whether requests may apply LoRAs (`lora`): the model was built with LoRA inputs. */
  readonly acceptsLoras: boolean;
  readonly maxPromptChunks: number;
  /** The UNet takes the guidance scale as an input (LCM's `timestep_cond`) instead of running guidance. */
  readonly embedsGuidance: boolean;
  generate<S extends Seed = number>(
    request: GenerationRequest<S>,
    options?: GenerateOptions,
  ): Promise<GenerationResult<S>>;
  /**
   * Several requests at once: txt2img requests that agree on size, steps, scheduler, rng and whether
   * guidance is on share each UNet call (each image keeps its own seed's generator, prompt and
   * guidance scale), so a batched image equals its unbatched one within floating-point tolerance.
   * Other requests (img2img, inpainting) run one after another.
   */
  generateBatch<S extends Seed = number>(
    entries: readonly BatchEntry<S>[],
    options?: BatchOptions,
  ): Promise<BatchOutcome<S>[]>;
  /** Free the sessions; the pipeline cannot generate afterwards. */
  release(): Promise<void>;
}
