import { type ElementType, elementTypeOf } from "./element-type.ts";
import { IoBinding } from "./io-binding.ts";
import koffi from "./koffi-setup.ts";
import { NativeHandle } from "./native-handle.ts";
import type { NativeRunOptions } from "./run-options.ts";
import { HOST, type OrtRuntime } from "./runtime.ts";
import { createSessionOptions, type NativeSessionOptions } from "./session-options.ts";
import { call, callAsync, callOut } from "./status.ts";
import { allocateTensor, NativeTensor, type TensorLocation } from "./tensor.ts";

/** A model input or output: its name, element type and shape (`-1` for a symbolic dimension). */
export interface TensorInfo {
  readonly name: string;
  /** Undefined for a non-tensor value or an element type the binding does not handle. */
  readonly type: ElementType | undefined;
  readonly dims: readonly number[];
}

/**
 * An onnxruntime session created through the C API, with every option the CUDA provider has. Runs
 * take and give `NativeTensor`s; `bind()` gives an IO binding, for runs whose inputs and outputs stay
 * on the device.
 *
 * @example
 * using session = NativeSession.create(ort, "unet/model.onnx", { cuda: { enableCudaGraph: true } });
 */
export class NativeSession implements Disposable {
  readonly runtime: OrtRuntime;
  readonly handle: NativeHandle;
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  /** Where the session's execution provider keeps tensors: the host, or the CUDA device. */
  readonly location: TensorLocation;
  readonly #allocators = new Map<string, NativeHandle>();
  readonly #owned = new Set<IoBinding>();

  private constructor(runtime: OrtRuntime, pointer: unknown, location: TensorLocation) {
    this.runtime = runtime;
    this.handle = new NativeHandle(runtime.api, "OrtSession", "ReleaseSession", pointer);
    this.location = location;
    this.inputs = this.#describe("Input");
    this.outputs = this.#describe("Output");
  }

  /** A session from a model file's path or its bytes. */
  static create(
    runtime: OrtRuntime,
    model: string | Uint8Array,
    options: NativeSessionOptions = {},
  ): NativeSession {
    const { api } = runtime;
    const sessionOptions = createSessionOptions(api, options);
    try {
      const pointer =
        typeof model === "string"
          ? callOut(api, "CreateSession", runtime.env.pointer, model, sessionOptions.pointer)
          : callOut(
              api,
              "CreateSessionFromArray",
              runtime.env.pointer,
              model,
              model.length,
              sessionOptions.pointer,
            );
      const location = options.cuda ? { device: "Cuda", deviceId: options.cuda.deviceId ?? 0 } : HOST;
      return new NativeSession(runtime, pointer, location);
    } finally {
      sessionOptions.release();
    }
  }

  input(name: string): TensorInfo {
    return this.#find(this.inputs, name, "input");
  }

  output(name: string): TensorInfo {
    return this.#find(this.outputs, name, "output");
  }

  /** A tensor in the session's device memory (host memory for a CPU session), zero-filled on the host only. */
  deviceTensor(type: ElementType, dims: readonly number[]): NativeTensor {
    if (this.location.device === "Cpu") return this.runtime.hostTensor(type, dims);
    return allocateTensor(this.runtime.api, this.#allocator(this.location), type, dims, this.location);
  }

  /** Runs the model; the caller releases the outputs (and still owns the inputs). */
  run(
    feeds: Readonly<Record<string, NativeTensor>>,
    outputNames: readonly string[] = this.outputs.map((output) => output.name),
    options?: NativeRunOptions,
  ): Record<string, NativeTensor> {
    const { names, values, outputs } = this.#runArguments(feeds, outputNames);
    call(this.runtime.api, "Run", ...this.#runArgs(options, names, values, outputNames, outputs));
    return this.#wrapOutputs(outputNames, outputs);
  }

  /** `run` on a koffi worker thread: the event loop stays free while onnxruntime computes. */
  async runAsync(
    feeds: Readonly<Record<string, NativeTensor>>,
    outputNames: readonly string[] = this.outputs.map((output) => output.name),
    options?: NativeRunOptions,
  ): Promise<Record<string, NativeTensor>> {
    const { names, values, outputs } = this.#runArguments(feeds, outputNames);
    const held = [this.handle, ...Object.values(feeds).map((tensor) => tensor.handle)];
    if (options !== undefined) held.push(options.handle);
    await callAsync(
      this.runtime.api,
      "Run",
      held,
      ...this.#runArgs(options, names, values, outputNames, outputs),
    );
    return this.#wrapOutputs(outputNames, outputs);
  }

  /** A new IO binding on this session, released with it unless released before. */
  bind(): IoBinding {
    const binding = new IoBinding(this, () => this.#owned.delete(binding));
    this.#owned.add(binding);
    return binding;
  }

  release(): void {
    if (this.handle.released) return;
    for (const binding of [...this.#owned]) binding.release();
    for (const allocator of this.#allocators.values()) allocator.release();
    this.#allocators.clear();
    this.handle.release();
  }

  [Symbol.dispose](): void {
    this.release();
  }

  #allocator(location: TensorLocation): unknown {
    const key = `${location.device}:${location.deviceId}`;
    let allocator = this.#allocators.get(key);
    if (allocator === undefined) {
      const info = this.runtime.memoryInfo(location).pointer;
      const pointer = callOut(this.runtime.api, "CreateAllocator", this.handle.pointer, info);
      allocator = new NativeHandle(this.runtime.api, "OrtAllocator", "ReleaseAllocator", pointer);
      this.#allocators.set(key, allocator);
    }
    return allocator.pointer;
  }

  #runArguments(feeds: Readonly<Record<string, NativeTensor>>, outputNames: readonly string[]) {
    const names = Object.keys(feeds);
    for (const name of names) this.input(name);
    for (const name of outputNames) this.output(name);
    const values = names.map((name) => (feeds[name] as NativeTensor).handle.pointer);
    return { names, values, outputs: outputNames.map(() => null) as unknown[] };
  }

  #runArgs(
    options: NativeRunOptions | undefined,
    names: string[],
    values: unknown[],
    outputNames: readonly string[],
    outputs: unknown[],
  ): unknown[] {
    const runOptions = options?.handle.pointer ?? null;
    return [
      this.handle.pointer,
      runOptions,
      names,
      values,
      names.length,
      [...outputNames],
      outputNames.length,
      outputs,
    ];
  }

  #wrapOutputs(outputNames: readonly string[], outputs: unknown[]): Record<string, NativeTensor> {
    const result: Record<string, NativeTensor> = {};
    outputNames.forEach((name, i) => {
      result[name] = new NativeTensor(this.runtime.api, outputs[i], HOST);
    });
    return result;
  }

  #find(list: readonly TensorInfo[], name: string, what: string): TensorInfo {
    const found = list.find((info) => info.name === name);
    if (found === undefined) {
      throw new Error(
        `the model has no ${what} '${name}' (its ${what}s: ${list.map((i) => i.name).join(", ")})`,
      );
    }
    return found;
  }

  #describe(kind: "Input" | "Output"): TensorInfo[] {
    const { api, hostAllocator } = this.runtime;
    const session = this.handle.pointer;
    const count = Number(callOut(api, `SessionGet${kind}Count`, session));
    return Array.from({ length: count }, (_, index) => {
      const namePointer = callOut(api, `SessionGet${kind}Name`, session, index, hostAllocator);
      const name = koffi.decode(namePointer, "char", -1) as string;
      call(api, "AllocatorFree", hostAllocator, namePointer);
      const typeInfo = callOut(api, `SessionGet${kind}TypeInfo`, session, index);
      try {
        const tensorInfo = callOut(api, "CastTypeInfoToTensorInfo", typeInfo);
        if (tensorInfo === null) return { name, type: undefined, dims: [] };
        const type = elementTypeOf(callOut<number>(api, "GetTensorElementType", tensorInfo));
        const rank = Number(callOut(api, "GetDimensionsCount", tensorInfo));
        const dims = new BigInt64Array(rank);
        call(api, "GetDimensions", tensorInfo, dims, rank);
        return { name, type, dims: Array.from(dims, Number) };
      } finally {
        api.fn.ReleaseTypeInfo(typeInfo);
      }
    });
  }
}
