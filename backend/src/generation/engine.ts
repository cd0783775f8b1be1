import type {
  BackendGenerateResponse,
  ErrorCode,
  ModelArchitecture,
  ResolvedGenerationRequest,
} from "@sdgate/shared";
import type { InputImages } from "./input-image.ts";

/**
 * What the serving side needs from the engine: run a batch of compatible jobs, report each job's
 * progress and outcome, and cancel a job within a step. The real one runs the pipelines in a worker
 * thread (`worker/worker-engine.ts`); serving tests use a fake that steps on timers.
 */
export interface Engine {
  readonly models: readonly ModelInfo[];
  /** Runs one batch; resolves once every job has its outcome, with what the batch measured. */
  run(jobs: readonly EngineJob[], listener: EngineListener): Promise<BatchReport>;
  /** Stops a running job at its next step; its outcome becomes `{ ok: false }` with the given code. */
  cancel(jobId: string, reason: CancelReason): void;
  close(): Promise<void>;
}

export interface EngineJob {
  id: string;
  request: ResolvedGenerationRequest;
  /** Attach a small preview to every n-th step's progress; 0: none. */
  previewEverySteps: number;
  /** The request's `image` and `mask`, decoded before the job was queued: the engine decodes nothing. */
  inputs: InputImages;
}

export type CancelReason = "cancelled" | "deadline";

export interface EngineListener {
  onProgress(jobId: string, progress: JobProgress): void;
  onDone(jobId: string, outcome: JobOutcome): void;
}

export interface JobProgress {
  /** Steps done for the images in progress, 1-based, of `steps`. */
  step: number;
  steps: number;
  /** The first image in progress (0-based) and how many the job makes. */
  image: number;
  images: number;
  /** Time left for this job at the rate it has run so far. */
  etaMs: number;
  preview?: PreviewImage;
}

/** A cheap look at the image in progress: the latents' linear RGB approximation, 1/8 of the size. */
export interface PreviewImage {
  format: "jpeg";
  width: number;
  height: number;
  b64: string;
}

/** A job's failure as plain data, since errors lose their class crossing a thread. */
export interface EngineFailure {
  code: ErrorCode;
  message: string;
  param: string | null;
}

export type JobOutcome =
  | { ok: true; response: BackendGenerateResponse }
  | { ok: false; error: EngineFailure };

/** What a batch measured, for the per-step estimates the edge routes and quotes by. */
export interface BatchReport {
  model: string;
  width: number;
  height: number;
  /** Images that took denoising steps together, and how long each step took for all of them. */
  images: number;
  steps: number;
  denoiseMs: number;
}

export interface ModelInfo {
  id: string;
  executionProvider: string;
  family: string;
  /** What the model is built like, as the edge knows architectures (from the detected traits). */
  architecture: ModelArchitecture;
  /** Loading and warming up, in seconds. */
  loadSeconds: number;
  /** The most 75-token chunks a prompt may have (`Pipeline.maxPromptChunks`). */
  maxPromptChunks: number;
  /** The UNet embeds the guidance scale (LCM): it never runs guidance, so `AND` never splits a prompt. */
  embedsGuidance: boolean;
}
