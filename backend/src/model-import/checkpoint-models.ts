/**
 * Serving a single-file checkpoint (SD 1.5, SDXL or SDXL's refiner, by its tensor names): a model
 * folder given as `id=/path/model.safetensors` is built once into an ONNX folder (fused float16
 * operators for a CUDA backend, standard float32 otherwise) under a cache directory, and served from
 * there. The cache is keyed by the file's size, modification time and first mebibyte (its safetensors
 * header: every tensor's name, type, shape and place), so a replaced file is rebuilt and an unchanged
 * one costs a few milliseconds on the next start.
 */
import { createHash } from "node:crypto";
import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import type { OperatorSet } from "../model-builder/nn.ts";
import { type CheckpointArchitecture, detectCheckpointArchitecture } from "./checkpoint-architecture.ts";
import { importSd15 } from "./import-sd15.ts";
import { importSdxl } from "./import-sdxl.ts";
import { importSdxlRefiner } from "./import-sdxl-refiner.ts";
import { parseLoraSpec } from "./lora.ts";

export interface CheckpointModelOptions {
  /** Where built folders are kept (e.g. `<SDGATE_MODEL_DIR>/checkpoints`). */
  cacheDir: string;
  /** CLIP's `vocab.json` and `merges.txt`: single files carry no tokenizer. */
  tokenizerDir: string | undefined;
  /** The backend's providers in order: a first `cuda` gets the fused float16 graphs. */
  executionProviders: readonly string[];
  onProgress?: (progress: { id: string; fraction: number }) => void;
  /** Called when a checkpoint is built rather than found in the cache. */
  onBuild?: (build: {
    id: string;
    checkpoint: string;
    dir: string;
    unusedTensors: number;
    unmatchedLoraAdapters: number;
  }) => void;
  /** Narrower graphs (tests only); default 1. */
  widthDivisor?: number;
}

/** Whether a model folder entry names a single-file checkpoint (with LoRAs or not) rather than an export folder. */
export function isSingleFileCheckpoint(path: string): boolean {
  return checkpointSpec(path).checkpoint.endsWith(".safetensors");
}

/**
 * `model.safetensors[+lora.safetensors[:scale]…]`: a checkpoint and the LoRAs to merge into it.
 *
 * @example
 * checkpointSpec("/m/dreamshaper_8.safetensors+/loras/ink.safetensors:0.7")
 * // { checkpoint: "/m/dreamshaper_8.safetensors", loras: [{ path: "/loras/ink.safetensors", scale: 0.7 }] }
 */
export function checkpointSpec(spec: string): {
  checkpoint: string;
  loras: { path: string; scale: number }[];
} {
  const [checkpoint, ...loras] = spec.split("+").map((part) => part.trim());
  return { checkpoint: checkpoint ?? "", loras: loras.map(parseLoraSpec) };
}

/**
 * The model folders with every single-file checkpoint replaced by its built ONNX folder (with its
 * LoRAs merged, `model.safetensors+lora.safetensors:0.8`), built now when the cache has none for
 * these files, scales and operators.
 *
 * @example
 * const folders = await resolveCheckpointModels({ dreamshaper: "/models/dreamshaper_8.safetensors" }, {
 *   cacheDir: "/var/sdgate/models/checkpoints", tokenizerDir: "/models/clip", executionProviders: ["cuda", "cpu"],
 * }); // { dreamshaper: "/var/sdgate/models/checkpoints/dreamshaper-3f2a…-fused-float16" }
 */
export async function resolveCheckpointModels(
  folders: Readonly<Record<string, string>>,
  options: CheckpointModelOptions,
): Promise<Record<string, string>> {
  const resolved: Record<string, string> = {};
  for (const [id, path] of Object.entries(folders)) {
    resolved[id] = isSingleFileCheckpoint(path) ? await ensureBuilt(id, path, options) : path;
  }
  return resolved;
}

async function ensureBuilt(id: string, spec: string, options: CheckpointModelOptions): Promise<string> {
  const { checkpoint, loras } = checkpointSpec(spec);
  if (options.tokenizerDir === undefined)
    throw new Error(
      `model ${id}: ${checkpoint} is a single-file checkpoint, which carries no tokenizer; set SDGATE_TOKENIZER_DIR to a folder with CLIP's vocab.json and merges.txt`,
    );
  const cuda = options.executionProviders[0]?.split(":")[0] === "cuda";
  const operators: OperatorSet = cuda ? "fused" : "standard";
  const dtype = cuda ? "float16" : "float32";
  const identity = [checkpoint, ...loras.map((l) => l.path)].map(fingerprint).join(":");
  const scales = loras.map((l) => l.scale).join(":");
  const key = createHash("sha256").update(`${identity}|${scales}`).digest("hex").slice(0, 16);
  const dir = join(options.cacheDir, `${id}-${key}-${operators}-${dtype}`);
  if (existsSync(join(dir, "model_index.json"))) return dir;
  const importOptions: ImportOptions = {
    dtype,
    operators,
    fromCheckpoint: checkpoint,
    ...(loras.length === 0 ? {} : { loras }),
    tokenizerDir: options.tokenizerDir,
    ...(options.widthDivisor === undefined ? {} : { widthDivisor: options.widthDivisor }),
    onProgress: (progress: { bytesDone: number; bytesTotal: number }) =>
      options.onProgress?.({ id, fraction: progress.bytesDone / progress.bytesTotal }),
  };
  // the file's tensor names say which model it is
  const result = await IMPORTERS[detectCheckpointArchitecture(checkpoint)](dir, importOptions);
  options.onBuild?.({
    id,
    checkpoint: spec,
    dir,
    unusedTensors: result.unusedCheckpointTensors.length,
    unmatchedLoraAdapters: result.unmatchedLoraAdapters.length,
  });
  return dir;
}

/** What a served checkpoint is built with, whichever model it is. */
interface ImportOptions {
  dtype: "float16" | "float32";
  operators: OperatorSet;
  fromCheckpoint: string;
  loras?: { path: string; scale: number }[];
  tokenizerDir: string;
  widthDivisor?: number;
  onProgress: (progress: { bytesDone: number; bytesTotal: number }) => void;
}

/** Each architecture's import, as a served checkpoint is built. */
const IMPORTERS: Record<
  CheckpointArchitecture,
  (
    dir: string,
    options: ImportOptions,
  ) => Promise<{ unusedCheckpointTensors: string[]; unmatchedLoraAdapters: string[] }>
> = {
  sd15: importSd15,
  sdxl: importSdxl,
  // the refiner takes no LoRAs: importSdxlRefiner names `loras` when some are given
  "sdxl-refiner": importSdxlRefiner,
};

/** 16 hex digits of SHA-256 over the file's size, modification time and first mebibyte. */
function fingerprint(path: string): string {
  const { size, mtimeMs } = statSync(path);
  const head = Buffer.alloc(Math.min(size, 1 << 20));
  const fd = openSync(path, "r");
  try {
    let offset = 0;
    while (offset < head.length) {
      const read = readSync(fd, head, offset, head.length - offset, offset);
      if (read === 0) break;
      offset += read;
    }
  } finally {
    closeSync(fd);
  }
  return createHash("sha256").update(`${size}:${mtimeMs}:`).update(head).digest("hex").slice(0, 16);
}
