/** What one text-to-image generation asks for. */
export interface GenerationRequest {
  prompt: string;
  /** What to steer away from; an empty string when absent, as diffusers does. */
  negativePrompt?: string;
  /** Pixels; a multiple of 8. */
  width: number;
  /** Pixels; a multiple of 8. */
  height: number;
  steps: number;
  /** Classifier-free guidance weight; ≤ 1 turns guidance off (one UNet pass per step). */
  guidanceScale: number;
  /** Non-negative integer; torch seeds its generator with the low 32 bits. */
  seed: number;
  /** Images to make, default 1; image i uses seed + i. */
  n?: number;
  /** A scheduler name, default `"euler"`. */
  scheduler?: string;
}

export interface GeneratedImage {
  seed: number;
  width: number;
  height: number;
  /** width × height × 3 bytes, row-major RGB. */
  rgb: Uint8Array;
}

export interface GenerationResult {
  images: GeneratedImage[];
  timingsMs: { textEncode: number; denoise: number; decode: number; total: number };
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
  /** ONNX Runtime execution providers in order of preference, e.g. `["cuda", "cpu"]`; default `["cpu"]`. */
  executionProviders?: string[];
  logger?: EngineLogger;
}

/** A loaded model: its sessions are created once and reused by every generation. */
export interface Pipeline {
  readonly modelDir: string;
  /** The execution provider the sessions run on. */
  readonly executionProvider: string;
  generate(request: GenerationRequest, options?: GenerateOptions): Promise<GenerationResult>;
  /** Free the sessions; the pipeline cannot generate afterwards. */
  release(): Promise<void>;
}
