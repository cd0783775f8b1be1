import { Worker } from "node:worker_threads";
import type {
  BatchReport,
  CancelReason,
  Engine,
  EngineJob,
  EngineListener,
  ModelInfo,
} from "../generation/engine.ts";
import { INTERNAL_FAILURE } from "../generation/engine-failure.ts";
import type { EngineWorkerData, FromWorker, ToWorker } from "./protocol.ts";

export interface WorkerEngineOptions extends EngineWorkerData {
  /** The worker died or crashed: every job it held has failed and no more will run. */
  onFatal?: (error: Error) => void;
}

interface PendingBatch {
  jobIds: Set<string>;
  listener: EngineListener;
  resolve: (report: BatchReport) => void;
  reject: (error: Error) => void;
}

/**
 * An {@link Engine} in a worker thread (one per process, so one per GPU). `start` resolves once the
 * models are loaded and warmed. Messages, not shared memory: a cancel reaches the worker between two
 * UNet calls, since onnxruntime-node runs each call from `setImmediate`, so it stops within a step.
 */
export class WorkerEngine implements Engine {
  readonly #worker: Worker;
  readonly #models: ModelInfo[];
  readonly #batches = new Map<number, PendingBatch>();
  #nextBatchId = 1;
  #closing = false;
  #closed: Promise<void> | undefined;
  #onClosed: (() => void) | undefined;
  #exited = false;

  private constructor(worker: Worker, models: ModelInfo[], onFatal: ((error: Error) => void) | undefined) {
    this.#worker = worker;
    this.#models = models;
    worker.on("message", (message: FromWorker) => this.#receive(message));
    const fail = (error: Error) => {
      for (const batch of this.#batches.values()) {
        for (const jobId of batch.jobIds)
          batch.listener.onDone(jobId, { ok: false, error: INTERNAL_FAILURE });
        batch.reject(error);
      }
      this.#batches.clear();
      if (!this.#closing) onFatal?.(error);
    };
    worker.on("error", fail);
    worker.on("exit", (code) => {
      this.#exited = true;
      fail(new Error(`engine worker exited with code ${code}`));
    });
  }

  static start(options: WorkerEngineOptions): Promise<WorkerEngine> {
    const { onFatal, ...data } = options;
    const worker = new Worker(new URL("./engine-worker.ts", import.meta.url), {
      workerData: data satisfies EngineWorkerData,
    });
    return new Promise((resolve, reject) => {
      const onMessage = (message: FromWorker) => {
        if (message.type === "ready") {
          cleanup();
          resolve(new WorkerEngine(worker, message.models, onFatal));
        } else if (message.type === "load_failed") {
          cleanup();
          void worker.terminate();
          reject(new Error(message.message));
        }
      };
      const onError = (error: Error) => {
        cleanup();
        reject(error);
      };
      const onExit = (code: number) => {
        cleanup();
        reject(new Error(`engine worker exited with code ${code} while loading`));
      };
      const cleanup = () => {
        worker.off("message", onMessage);
        worker.off("error", onError);
        worker.off("exit", onExit);
      };
      worker.on("message", onMessage);
      worker.on("error", onError);
      worker.on("exit", onExit);
    });
  }

  get models(): readonly ModelInfo[] {
    return this.#models;
  }

  run(jobs: readonly EngineJob[], listener: EngineListener): Promise<BatchReport> {
    const batchId = this.#nextBatchId++;
    return new Promise((resolve, reject) => {
      this.#batches.set(batchId, { jobIds: new Set(jobs.map((job) => job.id)), listener, resolve, reject });
      this.#post({ type: "run", batchId, jobs: [...jobs] });
    });
  }

  cancel(jobId: string, reason: CancelReason): void {
    this.#post({ type: "cancel", jobId, reason });
  }

  /** The worker thread's JavaScript heap in use, in bytes (the engine's own, apart from the HTTP side's). */
  async heapUsedBytes(): Promise<number> {
    return (await this.#worker.getHeapStatistics()).used_heap_size;
  }

  /**
   * Stops the worker: it cancels its jobs, waits for its runs to stop (within a step) and releases
   * the models, then the thread ends. Never a bare `terminate()` while a run is in flight: onnxruntime
   * aborts the whole process when its thread is torn down under a running call. A worker stuck in a
   * native call never answers, so a caller that cannot wait forever bounds this with a timeout.
   */
  async close(): Promise<void> {
    if (!this.#closing) {
      this.#closing = true;
      if (this.#exited) return;
      this.#closed = new Promise<void>((resolve) => {
        this.#worker.once("exit", () => resolve());
        this.#onClosed = () => resolve();
      }).then(() => this.#worker.terminate().then(() => undefined));
      this.#post({ type: "shutdown" });
    }
    await this.#closed;
  }

  #post(message: ToWorker): void {
    this.#worker.postMessage(message);
  }

  #receive(message: FromWorker): void {
    switch (message.type) {
      case "progress":
        this.#batchOf(message.jobId)?.listener.onProgress(message.jobId, message.progress);
        return;
      case "done": {
        const batch = this.#batchOf(message.jobId);
        batch?.jobIds.delete(message.jobId);
        batch?.listener.onDone(message.jobId, message.outcome);
        return;
      }
      case "closed":
        this.#onClosed?.();
        return;
      case "batch_done":
      case "batch_failed": {
        const batch = this.#batches.get(message.batchId);
        this.#batches.delete(message.batchId);
        if (message.type === "batch_done") batch?.resolve(message.report);
        else batch?.reject(new Error(message.message));
        return;
      }
      default:
        return;
    }
  }

  #batchOf(jobId: string): PendingBatch | undefined {
    for (const batch of this.#batches.values()) if (batch.jobIds.has(jobId)) return batch;
    return undefined;
  }
}
