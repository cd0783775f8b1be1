import { NativeHandle } from "./native-handle.ts";
import type { OrtApi } from "./ort-api.ts";
import type { LogSeverity } from "./runtime.ts";
import { call, callOut } from "./status.ts";

/** onnxruntime's CUDA execution provider options, each passed as the provider reads it (its key in the comment). */
export interface CudaProviderOptions {
  /** `device_id` */
  deviceId?: number;
  /** `enable_cuda_graph`: capture the session's kernels once per `gpu_graph_id` and replay them. */
  enableCudaGraph?: boolean;
  /** `prefer_nhwc`: run convolutions channels-last, as cuDNN's fastest fp16 kernels want. */
  preferNhwc?: boolean;
  /** `cudnn_conv_algo_search` */
  cudnnConvAlgoSearch?: "EXHAUSTIVE" | "HEURISTIC" | "DEFAULT";
  /** `cudnn_conv_use_max_workspace` */
  cudnnConvUseMaxWorkspace?: boolean;
  /** `use_tf32` */
  useTf32?: boolean;
  /** `arena_extend_strategy` */
  arenaExtendStrategy?: "kNextPowerOfTwo" | "kSameAsRequested";
  /** `gpu_mem_limit`, bytes */
  gpuMemLimit?: number;
  /** `do_copy_in_default_stream` */
  doCopyInDefaultStream?: boolean;
  /** `use_ep_level_unified_stream` */
  useEpLevelUnifiedStream?: boolean;
  /** `enable_skip_layer_norm_strict_mode` */
  enableSkipLayerNormStrictMode?: boolean;
  /** `fuse_conv_bias` */
  fuseConvBias?: boolean;
  /**
   * `user_compute_stream`: the address of a CUDA stream the session runs on instead of its own
   * (see cuda-stream.ts), so several sessions' work is ordered on one stream.
   */
  userComputeStream?: bigint;
}

const CUDA_KEYS: Readonly<Record<keyof CudaProviderOptions, string>> = {
  deviceId: "device_id",
  enableCudaGraph: "enable_cuda_graph",
  preferNhwc: "prefer_nhwc",
  cudnnConvAlgoSearch: "cudnn_conv_algo_search",
  cudnnConvUseMaxWorkspace: "cudnn_conv_use_max_workspace",
  useTf32: "use_tf32",
  arenaExtendStrategy: "arena_extend_strategy",
  gpuMemLimit: "gpu_mem_limit",
  doCopyInDefaultStream: "do_copy_in_default_stream",
  useEpLevelUnifiedStream: "use_ep_level_unified_stream",
  enableSkipLayerNormStrictMode: "enable_skip_layer_norm_strict_mode",
  fuseConvBias: "fuse_conv_bias",
  userComputeStream: "user_compute_stream",
};

export const GRAPH_OPTIMIZATION_LEVELS = { disabled: 0, basic: 1, extended: 2, layout: 3, all: 99 } as const;

export interface NativeSessionOptions {
  graphOptimizationLevel?: keyof typeof GRAPH_OPTIMIZATION_LEVELS;
  intraOpNumThreads?: number;
  interOpNumThreads?: number;
  enableMemPattern?: boolean;
  enableCpuMemArena?: boolean;
  logSeverity?: LogSeverity;
  /** Session config entries (`session.intra_op.allow_spinning`, ...). */
  config?: Readonly<Record<string, string>>;
  /** Run on the CUDA provider with these options (onnxruntime falls back to the CPU for nodes it lacks). */
  cuda?: CudaProviderOptions;
}

/** The key/value strings `UpdateCUDAProviderOptions` reads. */
export function cudaOptionStrings(options: CudaProviderOptions): [string, string][] {
  return Object.entries(options)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => {
      const name = CUDA_KEYS[key as keyof CudaProviderOptions];
      if (name === undefined) throw new Error(`cuda: unknown option ${key}`);
      return [name, typeof value === "boolean" ? (value ? "1" : "0") : String(value)];
    });
}

/**
 * An `OrtSessionOptions` with `options` applied; the caller releases it once the session is created.
 * The CUDA provider's options go through `CreateCUDAProviderOptions` / `UpdateCUDAProviderOptions` /
 * `SessionOptionsAppendExecutionProvider_CUDA_V2` (onnxruntime 1.29 refuses "CUDA" through the generic
 * `SessionOptionsAppendExecutionProvider`); updating them loads the provider library, so without it
 * this is where an `OrtError` says so.
 */
export function createSessionOptions(api: OrtApi, options: NativeSessionOptions): NativeHandle {
  const handle = new NativeHandle(
    api,
    "OrtSessionOptions",
    "ReleaseSessionOptions",
    callOut(api, "CreateSessionOptions"),
  );
  try {
    const so = handle.pointer;
    const level = GRAPH_OPTIMIZATION_LEVELS[options.graphOptimizationLevel ?? "all"];
    call(api, "SetSessionGraphOptimizationLevel", so, level);
    call(api, "SetSessionLogSeverityLevel", so, options.logSeverity ?? 3);
    if (options.intraOpNumThreads !== undefined)
      call(api, "SetIntraOpNumThreads", so, options.intraOpNumThreads);
    if (options.interOpNumThreads !== undefined)
      call(api, "SetInterOpNumThreads", so, options.interOpNumThreads);
    if (options.enableMemPattern !== undefined) {
      call(api, options.enableMemPattern ? "EnableMemPattern" : "DisableMemPattern", so);
    }
    if (options.enableCpuMemArena !== undefined) {
      call(api, options.enableCpuMemArena ? "EnableCpuMemArena" : "DisableCpuMemArena", so);
    }
    for (const [key, value] of Object.entries(options.config ?? {})) {
      call(api, "AddSessionConfigEntry", so, key, value);
    }
    if (options.cuda !== undefined) appendCuda(api, so, options.cuda);
    return handle;
  } catch (error) {
    handle.release();
    throw error;
  }
}

function appendCuda(api: OrtApi, so: unknown, options: CudaProviderOptions): void {
  const cuda = new NativeHandle(
    api,
    "OrtCUDAProviderOptionsV2",
    "ReleaseCUDAProviderOptions",
    callOut(api, "CreateCUDAProviderOptions"),
  );
  try {
    const entries = cudaOptionStrings(options);
    const keys = entries.map(([key]) => key);
    const values = entries.map(([, value]) => value);
    call(api, "UpdateCUDAProviderOptions", cuda.pointer, keys, values, entries.length);
    call(api, "SessionOptionsAppendExecutionProvider_CUDA_V2", so, cuda.pointer);
  } finally {
    cuda.release();
  }
}

/** The same options with CUDA graph capture off: for sessions whose bindings move (copies, the VAE). */
export function withoutCudaGraph(options: NativeSessionOptions): NativeSessionOptions {
  return options.cuda === undefined
    ? options
    : { ...options, cuda: { ...options.cuda, enableCudaGraph: false } };
}
