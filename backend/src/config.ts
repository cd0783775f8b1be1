import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { AUDIENCE_PATTERN, parseKeyringSpec, type SigningKey } from "@sdgate/shared";
import { z } from "zod";
import { DEFAULT_EXECUTION_PROVIDERS } from "./engine/index.ts";
import { isSingleFileCheckpoint } from "./model-import/checkpoint-models.ts";
import { DEFAULT_WATCHDOG, type WatchdogSettings } from "./serving/engine-watchdog.ts";

/** The repository root, for defaults that live in the git-ignored `.sdgate/` folder. */
const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

const MODEL_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/**
 * `id=/path[,id=/path…]` (`SDGATE_MODEL_FOLDERS`) as a map from model id to folder or single-file
 * checkpoint; an entry without a new, lowercase id or without a path is the error.
 *
 * @example
 * parseModelFolders("sd15=/models/sd15, dream=/models/dreamshaper_8.safetensors")
 */
export function parseModelFolders(
  spec: string,
): { ok: true; value: Record<string, string> } | { ok: false; error: string } {
  const folders: Record<string, string> = {};
  for (const entry of spec.split(",").filter((e) => e.trim() !== "")) {
    const eq = entry.indexOf("=");
    const id = entry.slice(0, eq).trim();
    const path = entry.slice(eq + 1).trim();
    if (eq < 1 || !MODEL_ID.test(id) || id in folders || path === "")
      return { ok: false, error: `'${entry.trim()}' must be id=/path/to/folder with a new, lowercase id` };
    folders[id] = path;
  }
  return { ok: true, value: folders };
}

const envSchema = z
  .object({
    // The edge signs each request for a backend by its registry name, so this must be that name.
    SDGATE_BACKEND_NAME: z
      .string()
      .regex(AUDIENCE_PATTERN, "must be the backend's registry name: 1-64 letters, digits, '.', '_' or '-'")
      .default("local"),
    SDGATE_ACCEPT_V2_SIGNATURES: z.enum(["true", "false"]).default("false"),
    SDGATE_BACKEND_HOST: z.string().min(1).default("127.0.0.1"),
    SDGATE_BACKEND_PORT: z.coerce.number().int().min(0).max(65535).default(8101),
    SDGATE_HMAC_KEYS: z.string({ error: "is required (id:secret[,id:secret])" }).transform((spec, ctx) => {
      const parsed = parseKeyringSpec(spec);
      if (!parsed.ok) {
        ctx.addIssue({ code: "custom", message: parsed.error });
        return z.NEVER;
      }
      return parsed.value;
    }),
    SDGATE_MODEL_DIR: z.string().min(1).default(`${REPO_ROOT}.sdgate/models`),
    SDGATE_TOKENIZER_DIR: z.string().min(1).optional(),
    /** ControlNet folders, `<dir>/<name>/model.onnx` (default `<SDGATE_MODEL_DIR>/controlnet`). */
    SDGATE_CONTROLNET_DIR: z.string().min(1).optional(),
    /** Annotator models for `depth`/`openpose`, `<dir>/<kind>/model.onnx` (default `<SDGATE_MODEL_DIR>/annotators`). */
    SDGATE_ANNOTATOR_DIR: z.string().min(1).optional(),
    SDGATE_LORA_DIR: z.string().min(1).optional(),
    SDGATE_MODEL_FOLDERS: z
      .string()
      .default("")
      .transform((spec, ctx) => {
        const parsed = parseModelFolders(spec);
        if (parsed.ok) return parsed.value;
        ctx.addIssue({ code: "custom", message: parsed.error });
        return z.NEVER;
      }),
    SDGATE_QUEUE_SIZE: z.coerce.number().int().min(1).max(100_000).default(32),
    SDGATE_MAX_BATCH: z.coerce.number().int().min(1).max(64).default(4),
    SDGATE_DEFAULT_DEADLINE_MS: z.coerce.number().int().min(1000).default(300_000),
    SDGATE_PREVIEW_EVERY_STEPS: z.coerce.number().int().min(0).max(1000).default(5),
    SDGATE_DRAIN_TIMEOUT_MS: z.coerce.number().int().min(0).default(120_000),
    SDGATE_ENGINE_GRACE_MS: z.coerce.number().int().min(1000).default(DEFAULT_WATCHDOG.graceMs),
    SDGATE_ENGINE_STALL_FACTOR: z.coerce.number().min(2).max(1000).default(DEFAULT_WATCHDOG.stallFactor),
    SDGATE_EXECUTION_PROVIDERS: z
      .string()
      .default(DEFAULT_EXECUTION_PROVIDERS.join(","))
      .transform((list) =>
        list
          .split(",")
          .map((p) => p.trim())
          .filter(Boolean),
      ),
  })
  .superRefine((env, ctx) => {
    const singleFiles = Object.entries(env.SDGATE_MODEL_FOLDERS).filter(([, path]) =>
      isSingleFileCheckpoint(path),
    );
    if (singleFiles.length > 0 && env.SDGATE_TOKENIZER_DIR === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["SDGATE_TOKENIZER_DIR"],
        message: `is required when SDGATE_MODEL_FOLDERS names a single-file checkpoint (${singleFiles.map(([id]) => id).join(", ")}): a folder with CLIP's vocab.json and merges.txt`,
      });
  });

export interface BackendConfig {
  /** The backend's name in the edge's registry; requests must be signed for it. */
  name: string;
  /** Also accept v2 signatures (which name no backend), while an edge that signs them is replaced. */
  acceptV2Signatures: boolean;
  host: string;
  port: number;
  signingKeys: SigningKey[];
  modelDir: string;
  /**
   * The operator's models by id, served beside the built-in `tiny`: exported ONNX folders, or
   * single-file SD 1.5 checkpoints (`.safetensors`), built into `<modelDir>/checkpoints` at startup.
   */
  modelFolders: Record<string, string>;
  /** CLIP's tokenizer files, for single-file checkpoints (which carry none). */
  tokenizerDir: string | undefined;
  /** ControlNet folders (`<dir>/<name>/model.onnx`), scanned at startup. */
  controlNetDir: string;
  /** Annotator models of the `depth` and `openpose` preprocessors (`<dir>/<kind>/model.onnx`). */
  annotatorDir: string;
  /**
   * The LoRAs requests may apply (`NAME.safetensors`, digested at startup; see lora-catalog.ts):
   * `SDGATE_LORA_DIR`, default `<modelDir>/loras`. A folder that does not exist holds none.
   */
  loraDir: string;
  executionProviders: string[];
  /** Jobs that may wait for the engine; past it, 429 with Retry-After. */
  queueSize: number;
  /** Most images per UNet call; 1 turns batching off. */
  maxBatch: number;
  /** A job's deadline when the edge sends no `X-Sdgate-Deadline`. */
  defaultDeadlineMs: number;
  /** Streamed progress carries a preview every n steps; 0: never. */
  previewEverySteps: number;
  /** How long SIGTERM waits for queued and running jobs before exiting anyway (exit code 1). */
  drainTimeoutMs: number;
  /** When a batch counts as hung and the engine's worker is replaced (`SDGATE_ENGINE_GRACE_MS`, `…_STALL_FACTOR`). */
  watchdog: WatchdogSettings;
}

/** A configuration problem, reported by variable name and never with the variable's value. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** Parses the backend's environment once, at startup; a bad value names the variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): BackendConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new ConfigError(`Invalid backend configuration:\n  ${lines.join("\n  ")}`);
  }
  const c = parsed.data;
  return {
    name: c.SDGATE_BACKEND_NAME,
    acceptV2Signatures: c.SDGATE_ACCEPT_V2_SIGNATURES === "true",
    host: c.SDGATE_BACKEND_HOST,
    port: c.SDGATE_BACKEND_PORT,
    signingKeys: c.SDGATE_HMAC_KEYS,
    modelDir: c.SDGATE_MODEL_DIR,
    modelFolders: c.SDGATE_MODEL_FOLDERS,
    tokenizerDir: c.SDGATE_TOKENIZER_DIR,
    controlNetDir: c.SDGATE_CONTROLNET_DIR ?? join(c.SDGATE_MODEL_DIR, "controlnet"),
    annotatorDir: c.SDGATE_ANNOTATOR_DIR ?? join(c.SDGATE_MODEL_DIR, "annotators"),
    loraDir: c.SDGATE_LORA_DIR ?? join(c.SDGATE_MODEL_DIR, "loras"),
    executionProviders: c.SDGATE_EXECUTION_PROVIDERS,
    queueSize: c.SDGATE_QUEUE_SIZE,
    maxBatch: c.SDGATE_MAX_BATCH,
    defaultDeadlineMs: c.SDGATE_DEFAULT_DEADLINE_MS,
    previewEverySteps: c.SDGATE_PREVIEW_EVERY_STEPS,
    drainTimeoutMs: c.SDGATE_DRAIN_TIMEOUT_MS,
    watchdog: {
      ...DEFAULT_WATCHDOG,
      graceMs: c.SDGATE_ENGINE_GRACE_MS,
      stallFactor: c.SDGATE_ENGINE_STALL_FACTOR,
    },
  };
}
