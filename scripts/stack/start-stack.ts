import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { type ModelArchitecture, randomHex, sha256Hex, TINY_MODEL } from "@sdgate/shared";
import { ensureTinyModel } from "../../backend/src/model-builder/index.ts";
import { folderDigest } from "../../backend/src/model-digest.ts";
import { resolveCheckpointModels } from "../../backend/src/model-import/checkpoint-models.ts";
import { ensureLocalAdapters } from "./local-adapters.ts";
import { resolveLocalSecrets } from "./local-secrets.ts";
import { adapterSeedSql, type LocalAdapter, type LocalModel, registrySeedSql } from "./seed-registry.ts";
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
  /** The edge's admin token (at least 32 characters); when absent, the one kept in the state folder. */
  adminToken?: string;
  /**
   * Your models beside `tiny`, by id: ONNX export folders or single-file SD 1.5 checkpoints
   * (`SDGATE_MODEL_FOLDERS`), served by both backends and listed by the edge with SD 1.5's defaults.
   */
  models?: Readonly<Record<string, string>>;
  /**
   * The architecture the edge lists some of `models` under (`sdxl`, `sdxl-refiner`: their default
   * size, their GPU rate, and whether one may run as a `refiner`); the others are what the backends
   * detect from their files.
   */
  architectures?: Readonly<Record<string, ModelArchitecture>>;
  /** CLIP's tokenizer files, needed for single-file checkpoints (`SDGATE_TOKENIZER_DIR`). */
  tokenizerDir?: string;
  /** More vars for the edge (`SDGATE_OIDC_ISSUER`, …), after the stack's own. */
  edgeVars?: Readonly<Record<string, string>>;
  /** Told about each startup step, for a progress display. */
  onStep?: (step: string) => void;
  readyTimeoutMs?: number;
}

export interface Stack {
  url: string;
  apiKey: string;
  adminToken: string;
  /**
   * `SDGATE_SIGN_IN_SECRET` for this run (local sign-in links are on): fresh each start, since it only
   * signs links and sign-ins in progress, never anything kept.
   */
  signInSecret: string;
  backendUrls: string[];
  services: Service[];
  stop(): Promise<void>;
}

const DEV_KEY_PATTERN = /^sk_[A-Za-z0-9_-]{16,128}$/;

function wrangler(args: string[]): Promise<unknown> {
  return run(process.execPath, [WRANGLER, ...args], {
    cwd: REPO_ROOT,
    // CI=true: wrangler asks no questions (migrations apply would otherwise wait for a yes).
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" },
  });
}

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/**
 * Applies the edge's D1 migrations to the local state and records the dev key in D1, the edge's record
 * of keys (KV is only its cache, filled on first use). Only the key's SHA-256 is stored. The id derives
 * from the hash, so a new dev key on the next start is a new key, not a clash with the last one.
 */
async function seedDatabase(
  stateDir: string,
  apiKey: string,
  models: readonly LocalModel[],
  adapters: readonly LocalAdapter[],
): Promise<void> {
  await wrangler(["d1", "migrations", "apply", "DB", "--local", "--persist-to", stateDir]);
  const hash = await sha256Hex(apiKey);
  const id = `key_dev_${hash.slice(0, 16)}`;
  const prefix = apiKey.slice(0, 11);
  const now = new Date().toISOString();
  const limits = JSON.stringify({ requests_per_minute: 600, concurrency: 16, credits: null });
  const sql = [
    `INSERT OR IGNORE INTO api_keys (id, name, prefix, scopes, limits, created_at) VALUES (${[id, "local development", prefix, '["generate","read"]', limits, now].map(sqlString).join(", ")});`,
    `INSERT OR IGNORE INTO api_key_secrets (hash, key_id, prefix, created_at) VALUES (${[hash, id, prefix, now].map(sqlString).join(", ")});`,
    registrySeedSql(models, new Date()),
    adapterSeedSql(adapters, new Date()),
  ].join(" ");
  await wrangler(["d1", "execute", "DB", "--local", "--persist-to", stateDir, "--command", sql]);
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
  // Kept with the state they sign (stateDir/secrets.json): jobs, links and webhook secrets stored
  // before a restart must still verify after it.
  const { hmacKeys, adminToken, urlSigningKey, webhookSecret } = resolveLocalSecrets(
    stateDir,
    options.adminToken === undefined ? {} : { adminToken: options.adminToken },
  );
  const readyTimeoutMs = options.readyTimeoutMs ?? 120_000;

  step("building the tiny model");
  const modelRoot = join(REPO_ROOT, ".sdgate", "models");
  // The backends hold a LoRA (below), so they build tiny with LoRA inputs (backend/src/main.ts): the
  // registry's digest must be that folder's.
  const tinyDir = await ensureTinyModel(modelRoot, { loraInputs: true });
  step("building the tiny LoRA and ControlNet and the model they are for");
  const local = await ensureLocalAdapters(modelRoot);
  // Checkpoints are built here, once, rather than by both backends at the same time.
  let shownTenth = -1;
  const models = await resolveCheckpointModels(options.models ?? {}, {
    cacheDir: join(modelRoot, "checkpoints"),
    tokenizerDir: options.tokenizerDir,
    executionProviders: ["cpu"],
    onProgress: ({ id, fraction }) => {
      const tenth = Math.floor(fraction * 10);
      if (tenth === shownTenth) return;
      shownTenth = tenth;
      step(`building model ${id} from its checkpoint: ${tenth * 10} %`);
    },
  });
  const modelFolders = Object.entries({ [local.model.id]: local.model.path, ...models })
    .map(([id, path]) => `${id}=${path}`)
    .join(",");

  step("preparing the edge's local database, the dev API key and the model registry");
  // The registry serves each model at the digest of the files the backends will load (issue 16).
  const localModels: LocalModel[] = await Promise.all(
    Object.entries({ tiny: tinyDir, ...models }).map(async ([id, path]) => ({
      id,
      path,
      digest: await folderDigest(path),
      description: id === "tiny" ? TINY_MODEL.description : `${path} (SDGATE_MODEL_FOLDERS)`,
    })),
  );
  await seedDatabase(wranglerState, apiKey, [...localModels, local.model], local.adapters);

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
            SDGATE_MODEL_FOLDERS: modelFolders,
            // Local backends stand in for GPU ones on CPU; skip the CUDA/WebGPU attempts.
            SDGATE_EXECUTION_PROVIDERS: "cpu",
          },
          logPath: join(logDir, `backend-${registry[i]?.name}.log`),
          cwd: REPO_ROOT,
        }),
      );
    });
    const envFile = join(stateDir, "edge.env");
    const signInSecret = randomHex(32);
    const envLines = [
      `SDGATE_HMAC_KEYS=${hmacKeys}`,
      `SDGATE_ADMIN_TOKEN=${adminToken}`,
      `SDGATE_URL_SIGNING_KEY=${urlSigningKey}`,
      `SDGATE_WEBHOOK_SECRET=${webhookSecret}`,
      // A person signs in with the one-time link npm start prints (a local admin).
      `SDGATE_SIGN_IN_SECRET=${signInSecret}`,
      "SDGATE_LOCAL_SIGN_IN=true",
      // Local development: webhooks may call a receiver on this machine.
      "SDGATE_WEBHOOK_ALLOW_LOOPBACK=true",
      `SDGATE_BACKENDS=${JSON.stringify(registry)}`,
      // the edge's catalog: each of your models with SD 1.5's defaults (512×512, 30 steps)
      `SDGATE_MODELS=${JSON.stringify([
        // tiny's defaults and limits: it is the same size
        { ...TINY_MODEL, id: local.model.id, description: local.model.description },
        ...Object.entries(options.models ?? {}).map(([id, path]) => ({
          id,
          description: `${path} (SDGATE_MODEL_FOLDERS)`,
          ...(options.architectures?.[id] === undefined ? {} : { architecture: options.architectures[id] }),
        })),
      ])}`,
    ];
    for (const [name, value] of Object.entries(options.edgeVars ?? {})) {
      // One line each in edge.env: a newline in a value would add a variable.
      if (!/^[A-Z][A-Z0-9_]*$/.test(name) || /[\r\n]/.test(value))
        throw new Error(`edgeVars: ${name} cannot be set`);
      envLines.push(`${name}=${value}`);
    }
    writeFileSync(envFile, `${envLines.join("\n")}\n`, {
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
    return { url, apiKey, adminToken, signInSecret, backendUrls, services, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
