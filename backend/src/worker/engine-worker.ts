/**
 * The engine's thread. `session.run` blocks the thread it runs on for the whole UNet call, so the
 * pipelines live here and the HTTP thread stays free to answer health checks, metrics and cancels.
 * Started by {@link WorkerEngine}; speaks the messages in `protocol.ts`.
 */
import { parentPort, workerData } from "node:worker_threads";
import { ControlResources } from "../generation/control-resources.ts";
import type { EngineListener } from "../generation/engine.ts";
import { InProcessEngine } from "../generation/in-process-engine.ts";
import { loadModels } from "../generation/load-models.ts";
import { createLogger } from "../logger.ts";
import type { EngineWorkerData, FromWorker, ToWorker } from "./protocol.ts";

const port = parentPort;
if (port === null) throw new Error("engine-worker.ts runs as a worker thread");
const post = (message: FromWorker) => port.postMessage(message);
const data = workerData as EngineWorkerData;
const logger = createLogger("engine");

try {
  const models = await loadModels(data.models, data.executionProviders, logger);
  const controls =
    data.controls === undefined
      ? undefined
      : new ControlResources(data.controls, data.executionProviders, logger);
  const engine = new InProcessEngine(models, data.maxBatch, logger, {
    ...(controls === undefined ? {} : { controls }),
    ...(data.loraFiles === undefined ? {} : { loraFiles: data.loraFiles }),
  });
  const listener: EngineListener = {
    onProgress: (jobId, progress) => post({ type: "progress", jobId, progress }),
    onDone: (jobId, outcome) => post({ type: "done", jobId, outcome }),
  };
  const inFlight = new Map<number, { jobIds: string[]; done: Promise<unknown> }>();
  let shuttingDown = false;
  port.on("message", (message: ToWorker) => {
    if (message.type === "cancel") {
      engine.cancel(message.jobId, message.reason);
      return;
    }
    if (message.type === "shutdown") {
      // Ending the thread while onnxruntime still runs a call aborts the whole process, so every
      // run is stopped (within a step) and the sessions released before the thread is let go.
      shuttingDown = true;
      for (const { jobIds } of inFlight.values()) for (const id of jobIds) engine.cancel(id, "cancelled");
      void Promise.allSettled([...inFlight.values()].map(({ done }) => done))
        .then(() => engine.close())
        .catch((error: unknown) => logger.error("releasing the models failed", { error: String(error) }))
        .finally(() => post({ type: "closed" }));
      return;
    }
    if (shuttingDown) return;
    const { batchId } = message;
    const done = engine.run(message.jobs, listener).then(
      (report) => post({ type: "batch_done", batchId, report }),
      (error: unknown) => {
        logger.error("batch failed", { error: String(error), stack: (error as Error)?.stack });
        post({ type: "batch_failed", batchId, message: String(error) });
      },
    );
    inFlight.set(batchId, { jobIds: message.jobs.map((job) => job.id), done });
    void done.finally(() => inFlight.delete(batchId));
  });
  post({ type: "ready", models: engine.models });
} catch (error) {
  post({ type: "load_failed", message: error instanceof Error ? error.message : String(error) });
}
