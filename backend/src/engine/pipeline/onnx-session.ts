import { access } from "node:fs/promises";
import { InferenceSession } from "onnxruntime-node";
import { ModelLoadError } from "../errors.ts";
import type { EngineLogger } from "./types.ts";

/** A session with the file it came from, so errors can name both. */
export interface LoadedSession {
  readonly session: InferenceSession;
  /** Path relative to the model folder, e.g. `unet/model.onnx`. */
  readonly file: string;
  readonly executionProvider: string;
}

/**
 * Create a session on the first execution provider in `providers` (from `startAt`) that works,
 * logging each failure; one that fails on every provider is a `ModelLoadError` naming the file.
 */
export async function createSession(
  path: string,
  file: string,
  providers: readonly string[],
  logger: EngineLogger,
): Promise<LoadedSession> {
  try {
    await access(path);
  } catch (error) {
    throw new ModelLoadError(file, `file missing (looked for ${path})`, { cause: error });
  }
  const failures: string[] = [];
  for (const provider of providers) {
    try {
      const session = await InferenceSession.create(path, {
        executionProviders: [provider],
        graphOptimizationLevel: "all",
        logSeverityLevel: 3,
      });
      logger.info("onnx session created", { file, executionProvider: provider });
      return { session, file, executionProvider: provider };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      failures.push(`${provider}: ${message}`);
      logger.warn("execution provider failed, trying the next", {
        file,
        executionProvider: provider,
        error: message,
      });
    }
  }
  throw new ModelLoadError(file, `no execution provider could load it (${failures.join("; ")})`);
}

export type TensorMetadata = InferenceSession.TensorValueMetadata;

/** The input named `names[0]` (or one of its known aliases), or a `ModelLoadError` naming it. */
export function findInput(loaded: LoadedSession, names: readonly string[]): TensorMetadata {
  const found = loaded.session.inputMetadata.find((meta) => names.includes(meta.name));
  if (found === undefined || !found.isTensor) {
    throw new ModelLoadError(
      `${loaded.file}: ${names[0]}`,
      `input tensor missing (the session has ${loaded.session.inputNames.join(", ")})`,
    );
  }
  return found;
}

/** The output named one of `names`, else the session's first output. */
export function findOutputName(loaded: LoadedSession, names: readonly string[]): string {
  const name = loaded.session.outputNames.find((n) => names.includes(n)) ?? loaded.session.outputNames[0];
  if (name === undefined)
    throw new ModelLoadError(`${loaded.file}: ${names[0]}`, "the session has no outputs");
  return name;
}

/** Fail unless every input of the session is one the pipeline knows how to feed. */
export function requireOnlyInputs(loaded: LoadedSession, known: readonly string[]): void {
  const unknown = loaded.session.inputNames.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw new ModelLoadError(
      `${loaded.file}: ${unknown[0]}`,
      `input not supported by this pipeline (SD 1.x/2.x)`,
    );
  }
}

/** Fail unless the input is float32 (half-precision exports come later). */
export function requireFloat32(loaded: LoadedSession, meta: TensorMetadata): void {
  if (meta.type !== "float32") {
    throw new ModelLoadError(
      `${loaded.file}: ${meta.name}`,
      `has type ${meta.type}; only float32 models are supported`,
    );
  }
}

/** Whether the metadata fixes the batch dimension at 1 (some exports do). */
export function hasFixedBatchOfOne(meta: TensorMetadata): boolean {
  return meta.shape[0] === 1;
}

/** The output tensor's float data, or a `ModelLoadError` naming it. */
export function outputData(
  loaded: LoadedSession,
  results: InferenceSession.ReturnType,
  name: string,
): { data: Float32Array; dims: readonly number[] } {
  const tensor = results[name];
  if (tensor === undefined || !(tensor.data instanceof Float32Array)) {
    throw new ModelLoadError(`${loaded.file}: ${name}`, "output missing or not float32");
  }
  return { data: tensor.data, dims: tensor.dims };
}
