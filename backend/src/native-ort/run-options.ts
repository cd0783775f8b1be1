import { NativeHandle } from "./native-handle.ts";
import type { OrtApi } from "./ort-api.ts";
import type { LogSeverity } from "./runtime.ts";
import { call, callOut } from "./status.ts";

export interface RunOptionsInit {
  tag?: string;
  logSeverity?: LogSeverity;
  /** Run config entries, e.g. `{ gpu_graph_id: "1" }` to pick which captured CUDA graph a run replays. */
  config?: Readonly<Record<string, string>>;
}

/**
 * onnxruntime's `OrtRunOptions`: per-run settings, and the one way to stop a run in progress
 * (`terminate`, which makes the run fail between two kernels).
 */
export class NativeRunOptions implements Disposable {
  readonly handle: NativeHandle;
  readonly #api: OrtApi;

  constructor(api: OrtApi, init: RunOptionsInit = {}) {
    this.#api = api;
    this.handle = new NativeHandle(
      api,
      "OrtRunOptions",
      "ReleaseRunOptions",
      callOut(api, "CreateRunOptions"),
    );
    try {
      if (init.tag !== undefined) call(api, "RunOptionsSetRunTag", this.handle.pointer, init.tag);
      if (init.logSeverity !== undefined) {
        call(api, "RunOptionsSetRunLogSeverityLevel", this.handle.pointer, init.logSeverity);
      }
      for (const [key, value] of Object.entries(init.config ?? {})) {
        call(api, "AddRunConfigEntry", this.handle.pointer, key, value);
      }
    } catch (error) {
      this.handle.release();
      throw error;
    }
  }

  /** Make runs under these options stop as soon as they can (they fail with an `OrtError`). */
  terminate(): void {
    call(this.#api, "RunOptionsSetTerminate", this.handle.pointer);
  }

  /** Let runs under these options go on again after `terminate`. */
  resume(): void {
    call(this.#api, "RunOptionsUnsetTerminate", this.handle.pointer);
  }

  release(): void {
    this.handle.release();
  }

  [Symbol.dispose](): void {
    this.release();
  }
}
