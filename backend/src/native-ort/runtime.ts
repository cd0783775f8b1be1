import { ELEMENT_TYPES, type ElementArrays, type ElementType } from "./element-type.ts";
import { findOnnxruntimeLibrary } from "./library-path.ts";
import { NativeHandle } from "./native-handle.ts";
import { loadOrtApi, type OrtApi } from "./ort-api.ts";
import { callOut } from "./status.ts";
import { allocateTensor, type NativeTensor, type TensorLocation } from "./tensor.ts";

/** `OrtAllocatorType` and `OrtMemType` (onnxruntime_c_api.h). */
const DEVICE_ALLOCATOR = 0;
const ARENA_ALLOCATOR = 1;
const MEM_TYPE_DEFAULT = 0;

/** `OrtLoggingLevel`: verbose, info, warning, error, fatal. */
export type LogSeverity = 0 | 1 | 2 | 3 | 4;

export const HOST: TensorLocation = { device: "Cpu", deviceId: 0 };

/**
 * The process's onnxruntime, reached through its C API: the library, one `OrtEnv` (onnxruntime wants
 * one per process), the host allocator and memory descriptions.
 *
 * @example
 * const ort = OrtRuntime.shared();
 * using input = ort.hostTensor("float32", [1, 4], new Float32Array([1, 2, 3, 4]));
 */
export class OrtRuntime {
  static #shared: OrtRuntime | undefined;
  readonly api: OrtApi;
  readonly env: NativeHandle;
  /** onnxruntime's default host allocator: owned by the library, never released. */
  readonly hostAllocator: unknown;
  readonly #memoryInfos = new Map<string, NativeHandle>();

  constructor(api: OrtApi, logSeverity: LogSeverity = 3) {
    this.api = api;
    this.env = new NativeHandle(
      api,
      "OrtEnv",
      "ReleaseEnv",
      callOut(api, "CreateEnv", logSeverity, "sdgate"),
    );
    this.hostAllocator = callOut(api, "GetAllocatorWithDefaultOptions");
  }

  /** The runtime over onnxruntime-node's library, created on first use and kept for the process. */
  static shared(): OrtRuntime {
    OrtRuntime.#shared ??= new OrtRuntime(loadOrtApi(findOnnxruntimeLibrary()));
    return OrtRuntime.#shared;
  }

  /** onnxruntime's `OrtMemoryInfo` for a location (kept and reused: they are small and immutable). */
  memoryInfo(location: TensorLocation): NativeHandle {
    const key = `${location.device}:${location.deviceId}`;
    let info = this.#memoryInfos.get(key);
    if (info === undefined) {
      const allocator = location.device === "Cpu" ? DEVICE_ALLOCATOR : ARENA_ALLOCATOR;
      const pointer = callOut(
        this.api,
        "CreateMemoryInfo",
        location.device,
        allocator,
        location.deviceId,
        MEM_TYPE_DEFAULT,
      );
      info = new NativeHandle(this.api, "OrtMemoryInfo", "ReleaseMemoryInfo", pointer);
      this.#memoryInfos.set(key, info);
    }
    return info;
  }

  /** A host tensor, filled with `data` when given (copied into onnxruntime's memory), else zeros. */
  hostTensor<T extends ElementType>(type: T, dims: readonly number[], data?: ElementArrays[T]): NativeTensor {
    const tensor = allocateTensor(this.api, this.hostAllocator, type, dims, HOST);
    try {
      tensor.write(data ?? new ELEMENT_TYPES[type].array(tensor.size));
    } catch (error) {
      tensor.release();
      throw error;
    }
    return tensor;
  }
}
