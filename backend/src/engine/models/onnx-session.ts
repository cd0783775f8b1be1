import { access } from "node:fs/promises";
import { InferenceSession, Tensor } from "onnxruntime-node";
import { ModelLoadError } from "../errors.ts";
import type { EngineLogger } from "../types.ts";
import { parseExecutionProviders, sessionOptionsFor } from "./execution-provider-options.ts";
import { checkExternalData } from "./external-data.ts";
import { fromFloat16, toFloat16Bits } from "./fp16.ts";

/** A session with the file it came from, so errors can name both. */
export interface LoadedSession {
  readonly session: InferenceSession;
  /** Path relative to the model folder, e.g. `unet/model.onnx`. */
  readonly file: string;
  readonly executionProvider: string;
  /** Absolute paths of the external weight files the model references (often none). */
  readonly externalDataPaths: readonly string[];
}

export type TensorMetadata = InferenceSession.TensorValueMetadata;

/**
 * Create a session on the first execution provider in `providers` that works, logging each failure
 * with its reason; the file and its external weights are checked first, so a missing one is a
 * `ModelLoadError` naming it rather than onnxruntime's message. A provider may carry options,
 * `cuda:device_id=1,enable_mem_pattern=0` (see `parseExecutionProviders` for what the binding passes).
 */
export async function createSession(
  modelDir: string,
  file: string,
  providers: readonly string[],
  logger: EngineLogger,
): Promise<LoadedSession> {
  const path = `${modelDir}/${file}`;
  try {
    await access(path);
  } catch (error) {
    throw new ModelLoadError(file, `file missing (looked for ${path})`, { cause: error });
  }
  const externalDataPaths = await checkExternalData(path, file, modelDir);
  const failures: string[] = [];
  for (const spec of parseExecutionProviders(providers)) {
    const provider = spec.name;
    try {
      const session = await InferenceSession.create(path, sessionOptionsFor(spec));
      logger.info("onnx session created", { file, executionProvider: provider });
      return { session, file, executionProvider: provider, externalDataPaths };
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

/** The input named one of `names` (the first is the canonical name), or a `ModelLoadError` naming it. */
export function findInput(loaded: LoadedSession, names: readonly string[]): TensorMetadata {
  const found = findOptionalInput(loaded, names);
  if (found === undefined) {
    throw new ModelLoadError(
      `${loaded.file}: ${names[0]}`,
      `input tensor missing (the session has ${loaded.session.inputNames.join(", ")})`,
    );
  }
  return found;
}

/** The input named one of `names`, if the session has it. */
export function findOptionalInput(
  loaded: LoadedSession,
  names: readonly string[],
): TensorMetadata | undefined {
  for (const name of names) {
    const found = loaded.session.inputMetadata.find((meta) => meta.name === name);
    if (found?.isTensor) return found;
  }
  return undefined;
}

/** The output named one of `names`; with `fallbackToFirst`, else the session's first output. */
export function findOutputName(
  loaded: LoadedSession,
  names: readonly string[],
  fallbackToFirst = true,
): string {
  const named = loaded.session.outputNames.find((n) => names.includes(n));
  const name = named ?? (fallbackToFirst ? loaded.session.outputNames[0] : undefined);
  if (name === undefined) {
    throw new ModelLoadError(
      `${loaded.file}: ${names[0]}`,
      `output tensor missing (the session has ${loaded.session.outputNames.join(", ") || "no outputs"})`,
    );
  }
  return name;
}

/** Fail unless every input of the session is one the pipeline knows how to feed. */
export function requireOnlyInputs(loaded: LoadedSession, known: readonly string[]): void {
  const unknown = loaded.session.inputNames.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw new ModelLoadError(`${loaded.file}: ${unknown[0]}`, "input not supported by this pipeline");
  }
}

/** Fail unless the input is float32 or float16. */
export function requireFloat(loaded: LoadedSession, meta: TensorMetadata): void {
  if (meta.type !== "float32" && meta.type !== "float16") {
    throw new ModelLoadError(
      `${loaded.file}: ${meta.name}`,
      `has type ${meta.type}; expected float32 or float16`,
    );
  }
}

/** Whether the metadata fixes the batch dimension at 1 (some exports do). */
export function hasFixedBatchOfOne(meta: TensorMetadata): boolean {
  return meta.shape[0] === 1;
}

/** Item `row` of a tensor batched on its first axis with `batch` items (a view, no copy). */
export function batchRow(data: Float32Array, batch: number, row: number): Float32Array {
  const size = data.length / batch;
  return data.subarray(row * size, (row + 1) * size);
}

/**
 * The value for an input the export declares and only some pipelines have (SDXL's `text_embeds`,
 * LCM's `timestep_cond`): a load error naming the input, and why, when there is none.
 */
export function requireInputValue(
  loaded: LoadedSession,
  meta: TensorMetadata,
  data: Float32Array | undefined,
  why = "the pipeline has no value for this input",
): Float32Array {
  if (data === undefined) throw new ModelLoadError(`${loaded.file}: ${meta.name}`, why);
  return data;
}

/** A fixed dimension of the declared shape, or undefined when symbolic. */
export function fixedDim(meta: TensorMetadata, axis: number): number | undefined {
  const dim = meta.shape[axis];
  return typeof dim === "number" && dim > 0 ? dim : undefined;
}

/**
 * A float tensor in the input's declared precision (float16 as `Uint16Array` bits). On Node ≥ 23
 * onnxruntime-common wraps such bits in a `Float16Array`, whose byte length onnxruntime-node 1.29's
 * binding reads as 0 ("not enough space: expected N, got 0", microsoft/onnxruntime#26791); putting the
 * `Uint16Array` back as the tensor's data works around it.
 */
export function floatTensor(meta: TensorMetadata, data: Float32Array, dims: readonly number[]): Tensor {
  if (meta.type !== "float16") return new Tensor("float32", data, dims);
  const bits = toFloat16Bits(data);
  const tensor = new Tensor("float16", bits, dims);
  (tensor as unknown as { cpuData: Uint16Array }).cpuData = bits;
  return tensor;
}

/** The output tensor's values as float32 (float16 outputs are widened), or a `ModelLoadError`. */
export function outputData(
  loaded: LoadedSession,
  results: InferenceSession.ReturnType,
  name: string,
): { data: Float32Array; dims: readonly number[] } {
  const { data, dims } = outputValues(loaded, results, name);
  return { data: data instanceof Uint16Array ? fromFloat16(data) : data, dims };
}

/**
 * The output tensor's values as they came: float32, or a float16 output's raw half-precision bits
 * (`Uint16Array`) for a caller that can use them without widening; or a `ModelLoadError`.
 */
export function outputValues(
  loaded: LoadedSession,
  results: InferenceSession.ReturnType,
  name: string,
): { data: Float32Array | Uint16Array; dims: readonly number[] } {
  const tensor = results[name];
  if (tensor === undefined) throw new ModelLoadError(`${loaded.file}: ${name}`, "output missing");
  if (tensor.type === "float32" && tensor.data instanceof Float32Array) {
    return { data: tensor.data, dims: tensor.dims };
  }
  if (tensor.type === "float16") {
    // onnxruntime-node hands float16 out as Uint16Array bits (a Float16Array only where asked for)
    const data = tensor.data as unknown as ArrayBufferView;
    const bits =
      data instanceof Uint16Array ? data : new Uint16Array(data.buffer, data.byteOffset, tensor.size);
    return { data: bits, dims: tensor.dims };
  }
  throw new ModelLoadError(`${loaded.file}: ${name}`, `has type ${tensor.type}; expected float32 or float16`);
}
