import type { ControlFolders } from "../generation/control-resources.ts";
import type {
  BatchReport,
  CancelReason,
  EngineJob,
  JobOutcome,
  JobProgress,
  ModelInfo,
} from "../generation/engine.ts";

/** What the engine worker is started with (`workerData`). */
export interface EngineWorkerData {
  /** Model id → model folder. */
  models: Record<string, string>;
  executionProviders: string[];
  /** Most images per UNet call. */
  maxBatch: number;
  /** ControlNet folders by name and the annotator folder; absent: no ControlNets. */
  controls?: ControlFolders;
  /** LoRA files by SHA-256 digest (lora-catalog.ts), for requests' `lora`. */
  loraFiles?: Record<string, string>;
}

/** HTTP thread → engine worker. */
export type ToWorker =
  | { type: "run"; batchId: number; jobs: EngineJob[] }
  | { type: "cancel"; jobId: string; reason: CancelReason }
  /** Cancel every job, wait for the runs to stop, release the models, then say `closed`. */
  | { type: "shutdown" };

/** Engine worker → HTTP thread. */
export type FromWorker =
  | { type: "ready"; models: ModelInfo[] }
  | { type: "load_failed"; message: string }
  | { type: "progress"; jobId: string; progress: JobProgress }
  | { type: "done"; jobId: string; outcome: JobOutcome }
  | { type: "batch_done"; batchId: number; report: BatchReport }
  | { type: "batch_failed"; batchId: number; message: string }
  | { type: "closed" };
