import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { randomHex, sha256Hex } from "@sdgate/shared";
import { ensureTinyModel } from "../../backend/src/model-builder/index.ts";
import { type Service, startService, stopService, waitUntilReady } from "./service.ts";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const WRANGLER = join(REPO_ROOT, "node_modules/wrangler/bin/wrangler.js");
const run = promisify(execFile);

export interface StackOptions {
  /** Where local state (edge KV/D1/DO, logs, models) lives; git-ignored `.sdgate/` by default. */
  stateDir?: string;
  edgePort: number;
  backendPorts: [number, number];
  /** Port for the Workers inspector; distinct per stack so two stacks can run side by side. */
  inspectorPort: number;
  /** The API key to seed; a random one when absent. */
  devKey?: string;
  /** Told about each startup step, for a progress display. */
  onStep?: (step: string) => void;
  readyTimeoutMs?: number;
}

export interface Stack {
  url: string;
  apiKey: string;
  backendUrls: string[];
  services: Service[];
  stop(): Promise<void>;
}

const DEV_KEY_PATTERN = /^sk_[A-Za-z0-9_-]{16,128}$/;

/** The KV record the edge reads for an API key: keyed by the key's SHA-256, never the key itself. */
async function seedApiKey(stateDir: string, apiKey: string): Promise<void> {
  const record = {
    id: "key_dev",
    name: "local development",
    scopes: ["generate", "read"],
    created_at: new Date().toISOString(),
  };
  const kvKey = `key:${await sha256Hex(apiKey)}`;
  await run(
    process.execPath,
    [
      WRANGLER,
      "kv",
      "key",
      "put",
      "--binding",
      "API_KEYS",
      "--local",
      "--persist-to",
      stateDir,
      kvKey,
      JSON.stringify(record),
    ],
    { cwd: REPO_ROOT, env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
  );
}

/**
 * Brings up the whole local stack: the tiny model, two backends on CPU standing in for two providers,
 * and the edge in workerd through `wrangler dev`, then waits until all of them are ready.
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const stateDir = options.stateDir ?? join(REPO_ROOT, ".sdgate");
  const wranglerState = join(stateDir, "wrangler");
  const logDir = join(stateDir, "logs");
  mkdirSync(logDir, { recursive: true });
  const step = options.onStep ?? (() => {});
  const apiKey = options.devKey ?? `sk_dev_${randomHex(24)}`;
  if (!DEV_KEY_PATTERN.test(apiKey)) {
    throw new Error("SDGATE_DEV_KEY must look like sk_ followed by 16 to 128 letters, digits, '_' or '-'.");
  }
  // A fresh signing secret per run: the edge and both backends share it through their environments.
  const hmacKeys = `local:${randomHex(32)}`;
  const readyTimeoutMs = options.readyTimeoutMs ?? 120_000;

  step("building the tiny model");
  const modelRoot = join(REPO_ROOT, ".sdgate", "models");
  await ensureTinyModel(modelRoot);

  step("seeding the dev API key into local KV");
  await seedApiKey(wranglerState, apiKey);

  const backendUrls = options.backendPorts.map((port) => `http://127.0.0.1:${port}`);
  const registry = backendUrls.map((url, i) => ({
    name: `local-${"ab"[i]}`,
    url,
    provider: `local-${"ab"[i]}`,
    region: "local",
    priority: i + 1,
  }));
  const services: Service[] = [];
  const stop = async () => {
    await Promise.all(services.map((service) => stopService(service)));
  };

  try {
    step("starting two backends and the edge");
    options.backendPorts.forEach((port, i) => {
      services.push(
        startService({
          name: `backend ${registry[i]?.name}`,
          command: process.execPath,
          args: [join(REPO_ROOT, "backend/src/main.ts")],
          env: {
            SDGATE_BACKEND_NAME: registry[i]?.name ?? "local",
            SDGATE_BACKEND_PORT: String(port),
            SDGATE_HMAC_KEYS: hmacKeys,
            SDGATE_MODEL_DIR: modelRoot,
            // Local backends stand in for GPU ones on CPU; skip the CUDA/WebGPU attempts.
            SDGATE_EXECUTION_PROVIDERS: "cpu",
          },
          logPath: join(logDir, `backend-${registry[i]?.name}.log`),
          cwd: REPO_ROOT,
        }),
      );
    });
    const envFile = join(stateDir, "edge.env");
    writeFileSync(envFile, `SDGATE_HMAC_KEYS=${hmacKeys}\nSDGATE_BACKENDS=${JSON.stringify(registry)}\n`, {
      mode: 0o600,
    });
    const edge = startService({
      name: "edge",
      command: process.execPath,
      args: [
        WRANGLER,
        "dev",
        "--local",
        "--ip",
        "127.0.0.1",
        "--port",
        String(options.edgePort),
        "--inspector-port",
        String(options.inspectorPort),
        "--persist-to",
        wranglerState,
        "--env-file",
        envFile,
        "--show-interactive-dev-session=false",
      ],
      env: { WRANGLER_SEND_METRICS: "false", CI: "true" },
      logPath: join(logDir, "edge.log"),
      cwd: REPO_ROOT,
    });
    services.push(edge);

    step("waiting until every service is ready");
    const url = `http://127.0.0.1:${options.edgePort}`;
    await Promise.all([
      ...backendUrls.map((backendUrl, i) =>
        waitUntilReady(services[i] as Service, `${backendUrl}/readyz`, readyTimeoutMs),
      ),
      waitUntilReady(edge, `${url}/healthz`, readyTimeoutMs),
    ]);
    return { url, apiKey, backendUrls, services, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
