import type { Server } from "node:http";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import { Keyring, MemoryNonceStore } from "@sdgate/shared";
import { ConfigError, loadConfig } from "./config.ts";
import { restrictImageLoaders } from "./engine/image/decode-image.ts";
import { type ControlCatalog, scanControlCatalog } from "./generation/controlnet-catalog.ts";
import { PromptCounter } from "./generation/prompt-counter.ts";
import { createLogger } from "./logger.ts";
import { LoraCatalog } from "./lora-catalog.ts";
import { ServingMetrics } from "./metrics/metrics.ts";
import { ensureTinyModel } from "./model-builder/index.ts";
import { modelDigests } from "./model-digest.ts";
import { resolveCheckpointModels } from "./model-import/checkpoint-models.ts";
import { checkNvidiaDriver } from "./nvidia-driver.ts";
import { createBackendApp, type Readiness } from "./server/app.ts";
import { Dispatcher } from "./serving/dispatcher.ts";
import { WorkerEngine } from "./worker/worker-engine.ts";

const logger = createLogger("backend");

async function main(): Promise<void> {
  const config = loadConfig();
  // Before listening: a node whose driver cannot run the CUDA 13 provider fails here, by name.
  checkNvidiaDriver(config.executionProviders, logger);
  // Input images are untrusted: libvips may load nothing but PNG, JPEG and WebP from memory.
  restrictImageLoaders();
  const readiness: Readiness = { state: "loading" };
  const metrics = new ServingMetrics();
  let dispatcher: Dispatcher | null = null;
  let versions: Record<string, string> = {};
  let controlCatalog: ControlCatalog | null = null;
  let engine: WorkerEngine | null = null;
  let prompts: PromptCounter | null = null;
  let loras = new LoraCatalog([]);
  const app = createBackendApp({
    name: config.name,
    keyring: new Keyring(config.signingKeys),
    nonces: new MemoryNonceStore(),
    acceptV2Signatures: config.acceptV2Signatures,
    readiness,
    serving: () => dispatcher,
    metrics,
    logger,
    defaultDeadlineMs: config.defaultDeadlineMs,
    previewEverySteps: config.previewEverySteps,
    versions: () => versions,
    controls: () => controlCatalog,
    loras: () => loras,
    prompts: () => (readiness.state === "ready" ? prompts : null),
  });

  // Listen first so /healthz answers while the models load; /readyz says when to send traffic.
  const server = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, (info) => {
    logger.info("listening", { name: config.name, url: `http://${config.host}:${info.port}` });
  });

  // SIGTERM: refuse new work (503, readyz false), finish what is queued and running, then exit 0.
  const drain = async (signal: string) => {
    if (readiness.state === "draining") return;
    readiness.state = "draining";
    logger.info("draining", { signal, queueDepth: dispatcher?.snapshot().queueDepth ?? 0 });
    setTimeout(() => {
      logger.error("drain timed out", { ms: config.drainTimeoutMs });
      process.exit(1);
    }, config.drainTimeoutMs).unref();
    await dispatcher?.drain();
    server.close(async () => {
      await engine?.close();
      logger.info("drained");
      process.exit(0);
    });
    (server as Server).closeIdleConnections();
  };
  process.on("SIGTERM", () => void drain("SIGTERM"));
  process.on("SIGINT", () => void drain("SIGINT"));

  const loraStartedMs = performance.now();
  loras = await LoraCatalog.scan(config.loraDir);
  logger.info("LoRA files digested", {
    dir: config.loraDir,
    loras: Object.fromEntries(loras.held.map((lora) => [lora.name, lora.digest.slice(0, 12)])),
    ms: Math.round(performance.now() - loraStartedMs),
  });
  // With LoRAs to apply, the built-in tiny model takes them too (built with LoRA inputs).
  const tinyDir = await ensureTinyModel(config.modelDir, { loraInputs: loras.held.length > 0 });
  // Single-file checkpoints become ONNX folders first (minutes the first time; /readyz stays false).
  let logged = -1;
  const modelFolders = await resolveCheckpointModels(config.modelFolders, {
    cacheDir: join(config.modelDir, "checkpoints"),
    tokenizerDir: config.tokenizerDir,
    executionProviders: config.executionProviders,
    onProgress: ({ id, fraction }) => {
      const tenth = Math.floor(fraction * 10);
      if (tenth === logged) return;
      logged = tenth;
      logger.info("building model from checkpoint", { model: id, percent: tenth * 10 });
    },
    onBuild: ({ id, ...build }) => {
      logged = -1;
      logger.info("model built from checkpoint", { model: id, ...build });
    },
  });
  const models = { tiny: tinyDir, ...modelFolders };
  // What the registry calls each model's version: the digest of the files actually loaded.
  const digestStartedMs = performance.now();
  versions = await modelDigests(models);
  logger.info("model files digested", {
    digests: Object.fromEntries(Object.entries(versions).map(([id, digest]) => [id, digest.slice(0, 12)])),
    ms: Math.round(performance.now() - digestStartedMs),
  });
  const catalog = await scanControlCatalog(config.controlNetDir, config.annotatorDir);
  logger.info("ControlNets found", {
    dir: config.controlNetDir,
    controlNets: [...catalog.controlNets.keys()],
    annotators: [...catalog.annotators],
  });
  const controls = {
    controlNets: Object.fromEntries([...catalog.controlNets].map(([name, { dir }]) => [name, dir])),
    annotatorDir: catalog.annotatorDir,
  };
  const startEngine = async (): Promise<WorkerEngine> => {
    const started = await WorkerEngine.start({
      models,
      controls,
      loraFiles: Object.fromEntries(loras.held.map((lora) => [lora.digest, lora.path])),
      executionProviders: config.executionProviders,
      maxBatch: config.maxBatch,
      onFatal: (error) => {
        // Crash-only: the orchestrator restarts the process; the edge retries elsewhere meanwhile.
        logger.error("engine worker died", { error: error.message });
        process.exit(1);
      },
    });
    engine = started;
    return started;
  };
  const first = await startEngine();
  metrics.readEngineHeapWith(() => (engine ?? first).heapUsedBytes());
  for (const model of first.models) {
    metrics.executionProvider.set({ model: model.id, provider: model.executionProvider }, 1);
    metrics.modelLoadSeconds.set({ model: model.id }, model.loadSeconds);
  }
  prompts = await PromptCounter.load(models, first.models);
  dispatcher = new Dispatcher({
    engine: first,
    queueSize: config.queueSize,
    maxBatch: config.maxBatch,
    metrics,
    logger,
    watchdog: config.watchdog,
    // A hung engine's worker is replaced by a fresh one with the same models; /readyz is 503 meanwhile.
    restartEngine: startEngine,
    onFatal: (error) => {
      // The old worker would not stop, or the new one would not load: only a new process can serve.
      logger.error("engine could not be replaced; exiting", { error: error.message });
      process.exit(1);
    },
  });
  controlCatalog = catalog;
  if (readiness.state === "loading") readiness.state = "ready";
  logger.info("ready", {
    models: first.models.map((m) => m.id),
    maxBatch: config.maxBatch,
    queueSize: config.queueSize,
  });
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError ? error.message : `Startup failed: ${String(error)}`;
  logger.error(message);
  process.exit(1);
});
