import koffi from "./koffi-setup.ts";
import { NativeHandle } from "./native-handle.ts";
import type { NativeRunOptions } from "./run-options.ts";
import type { NativeSession } from "./session.ts";
import { call, callAsync, callOut } from "./status.ts";
import { NativeTensor, type TensorLocation } from "./tensor.ts";

/**
 * onnxruntime's IO binding: inputs and outputs fixed to tensors (on the host or the device) before the
 * run, so a run reads and writes them in place. Outputs bound to a location instead of a tensor are
 * allocated there by the run and read back with `outputs()`.
 *
 * A CUDA graph replays the kernels it captured on the addresses they used, so a session with
 * `enableCudaGraph` must have every input and output bound to device tensors that stay put; their
 * contents may change between runs.
 */
export class IoBinding implements Disposable {
  readonly session: NativeSession;
  readonly handle: NativeHandle;
  /** The tensors bound, by `in:`/`out:` name: an async run keeps them alive. */
  readonly #tensors = new Map<string, NativeTensor>();
  /** Bound outputs in binding order (rebinding a name keeps its place, as onnxruntime does). */
  readonly #outputs: { name: string; location: TensorLocation }[] = [];

  readonly #onRelease: () => void;

  constructor(session: NativeSession, onRelease: () => void = () => {}) {
    this.session = session;
    this.#onRelease = onRelease;
    const { api } = session.runtime;
    this.handle = new NativeHandle(
      api,
      "OrtIoBinding",
      "ReleaseIoBinding",
      callOut(api, "CreateIoBinding", session.handle.pointer),
    );
  }

  bindInput(name: string, tensor: NativeTensor): this {
    this.session.input(name);
    call(this.session.runtime.api, "BindInput", this.handle.pointer, name, tensor.handle.pointer);
    this.#tensors.set(`in:${name}`, tensor);
    return this;
  }

  bindOutput(name: string, tensor: NativeTensor): this {
    this.session.output(name);
    call(this.session.runtime.api, "BindOutput", this.handle.pointer, name, tensor.handle.pointer);
    this.#tensors.set(`out:${name}`, tensor);
    this.#remember(name, tensor.location);
    return this;
  }

  /** The run allocates this output at `location`; read it with `outputs()`. */
  bindOutputTo(name: string, location: TensorLocation): this {
    this.session.output(name);
    const info = this.session.runtime.memoryInfo(location).pointer;
    call(this.session.runtime.api, "BindOutputToDevice", this.handle.pointer, name, info);
    this.#tensors.delete(`out:${name}`);
    this.#remember(name, location);
    return this;
  }

  /** Finishes copying inputs bound from another device (before a run on another stream reads them). */
  synchronizeInputs(): void {
    call(this.session.runtime.api, "SynchronizeBoundInputs", this.handle.pointer);
  }

  /** Waits until the device has written every bound output (before the host reads them). */
  synchronizeOutputs(): void {
    call(this.session.runtime.api, "SynchronizeBoundOutputs", this.handle.pointer);
  }

  run(options?: NativeRunOptions): void {
    call(this.session.runtime.api, "RunWithBinding", ...this.#args(options));
  }

  /** `run` on a koffi worker thread. */
  runAsync(options?: NativeRunOptions): Promise<void> {
    const held = [
      this.handle,
      this.session.handle,
      ...[...this.#tensors.values()].map((tensor) => tensor.handle),
    ];
    if (options !== undefined) held.push(options.handle);
    return callAsync(this.session.runtime.api, "RunWithBinding", held, ...this.#args(options));
  }

  /**
   * The bound outputs in binding order, as new tensors the caller releases (each refers to the same
   * memory as the binding's output: a bound tensor's, or what the run allocated).
   */
  outputs(): NativeTensor[] {
    const { api, hostAllocator } = this.session.runtime;
    const values: unknown[] = [null];
    const count: unknown[] = [null];
    call(api, "GetBoundOutputValues", this.handle.pointer, hostAllocator, values, count);
    const n = Number(count[0]);
    if (n === 0 || values[0] === null) return [];
    const pointers = koffi.decode(values[0], "void*", n) as unknown[];
    call(api, "AllocatorFree", hostAllocator, values[0]);
    return pointers.map(
      (pointer, i) => new NativeTensor(api, pointer, this.#outputs[i]?.location ?? this.session.location),
    );
  }

  /** Unbinds every input and output. */
  clear(): void {
    this.session.runtime.api.fn.ClearBoundInputs(this.handle.pointer);
    this.session.runtime.api.fn.ClearBoundOutputs(this.handle.pointer);
    this.#outputs.length = 0;
    this.#tensors.clear();
  }

  release(): void {
    if (this.handle.released) return;
    this.handle.release();
    this.#onRelease();
  }

  [Symbol.dispose](): void {
    this.release();
  }

  #args(options: NativeRunOptions | undefined): unknown[] {
    return [this.session.handle.pointer, options?.handle.pointer ?? null, this.handle.pointer];
  }

  #remember(name: string, location: TensorLocation): void {
    const bound = this.#outputs.find((output) => output.name === name);
    if (bound === undefined) this.#outputs.push({ name, location });
    else bound.location = location;
  }
}
