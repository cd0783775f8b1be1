import { serve } from "@hono/node-server";
import { Keyring, MemoryNonceStore } from "@sdgate/shared";
import { ConfigError, loadConfig } from "./config.ts";
import { EngineImageGenerator } from "./generation/engine-generator.ts";
import type { ImageGenerator } from "./generation/image-generator.ts";
import { createLogger } from "./logger.ts";
import { ensureTinyModel } from "./model-builder/index.ts";
import { createBackendApp, type Readiness } from "./server/app.ts";

/** How long a drain may take before the process exits anyway (Kubernetes' grace period is longer). */
const DRAIN_TIMEOUT_MS = 30_000;

const logger = createLogger("backend");

async function main(): Promise<void> {
  const config = loadConfig();
  const readiness: Readiness = { state: "loading" };
  let generator: ImageGenerator | null = null;
  const app = createBackendApp({
    name: config.name,
    keyring: new Keyring(config.signingKeys),
    nonces: new MemoryNonceStore(),
    readiness,
    generator: () => generator,
    logger,
  });

  // Listen first so /healthz answers while the models load; /readyz says when to send traffic.
  const server = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, (info) => {
    logger.info("listening", { name: config.name, url: `http://${config.host}:${info.port}` });
  });

  const drain = (signal: string) => {
    if (readiness.state === "draining") return;
    readiness.state = "draining";
    logger.info("draining", { signal });
    setTimeout(() => process.exit(1), DRAIN_TIMEOUT_MS).unref();
    server.close(() => process.exit(0));
  };
  process.on("SIGTERM", () => drain("SIGTERM"));
  process.on("SIGINT", () => drain("SIGINT"));

  const tinyDir = await ensureTinyModel(config.modelDir);
  generator = await EngineImageGenerator.load({
    models: { tiny: tinyDir, ...config.modelFolders },
    executionProviders: config.executionProviders,
    logger,
  });
  if (readiness.state === "loading") readiness.state = "ready";
  logger.info("ready", { models: generator.modelIds });
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError ? error.message : `Startup failed: ${String(error)}`;
  logger.error(message);
  process.exit(1);
});
