import type { CudaProviderOptions, NativeSessionOptions } from "../../native-ort/session-options.ts";
import {
  type ExecutionProviderSpec,
  sessionOptionsFor,
  wantsDeviceLoop,
} from "../models/execution-provider-options.ts";

export interface DeviceLoopSettings {
  /** The device loop's sessions (UNet, VAE decoder, step graphs), with every CUDA option asked for. */
  session: NativeSessionOptions;
  runAhead: boolean;
  /** `overlap=1`: batches go as two half-batches, one's host work beside the other's device work. */
  overlapHalves: boolean;
}

type CudaParser = (
  value: string,
  bad: (why: string) => Error,
) => CudaProviderOptions[keyof CudaProviderOptions];

const boolean: CudaParser = (value, bad) => {
  if (value === "1" || value === "true") return true;
  if (value === "0" || value === "false") return false;
  throw bad("is not 0/1 or true/false");
};
const count: CudaParser = (value, bad) => {
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < 0) throw bad("is not a non-negative integer");
  return number;
};
const oneOf =
  (...values: string[]): CudaParser =>
  (value, bad) => {
    if (!values.includes(value)) throw bad(`is not one of ${values.join(", ")}`);
    return value as never;
  };

/** The CUDA provider's options as `SDGATE_EXECUTION_PROVIDERS` writes them, with their typed names. */
const CUDA_OPTIONS: Readonly<Record<string, [keyof CudaProviderOptions, CudaParser]>> = {
  device_id: ["deviceId", count],
  enable_cuda_graph: ["enableCudaGraph", boolean],
  prefer_nhwc: ["preferNhwc", boolean],
  cudnn_conv_algo_search: ["cudnnConvAlgoSearch", oneOf("EXHAUSTIVE", "HEURISTIC", "DEFAULT")],
  cudnn_conv_use_max_workspace: ["cudnnConvUseMaxWorkspace", boolean],
  use_tf32: ["useTf32", boolean],
  arena_extend_strategy: ["arenaExtendStrategy", oneOf("kNextPowerOfTwo", "kSameAsRequested")],
  gpu_mem_limit: ["gpuMemLimit", count],
  do_copy_in_default_stream: ["doCopyInDefaultStream", boolean],
  use_ep_level_unified_stream: ["useEpLevelUnifiedStream", boolean],
  enable_skip_layer_norm_strict_mode: ["enableSkipLayerNormStrictMode", boolean],
};

/**
 * The device loop's settings from the first execution provider (`cuda:device_loop=1,enable_cuda_graph=1,
 * prefer_nhwc=1` or `cpu:device_loop=1`), or undefined when it does not ask for the loop. The session
 * options are the ones onnxruntime-node's sessions get (threads, optimisation level, `session.*`
 * entries), plus the CUDA options that only the C API passes on.
 */
export function deviceLoopSettings(spec: ExecutionProviderSpec | undefined): DeviceLoopSettings | undefined {
  if (spec === undefined || !wantsDeviceLoop(spec)) return undefined;
  const common = sessionOptionsFor(spec);
  const session: NativeSessionOptions = {
    ...(common.graphOptimizationLevel ? { graphOptimizationLevel: common.graphOptimizationLevel } : {}),
    ...(common.intraOpNumThreads !== undefined ? { intraOpNumThreads: common.intraOpNumThreads } : {}),
    ...(common.interOpNumThreads !== undefined ? { interOpNumThreads: common.interOpNumThreads } : {}),
    ...(common.enableMemPattern !== undefined ? { enableMemPattern: common.enableMemPattern } : {}),
    ...(common.enableCpuMemArena !== undefined ? { enableCpuMemArena: common.enableCpuMemArena } : {}),
    ...(common.extra ? { config: common.extra as Record<string, string> } : {}),
  };
  if (spec.name === "cuda") {
    const cuda: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(spec.options)) {
      const known = CUDA_OPTIONS[key === "deviceId" ? "device_id" : key];
      if (known === undefined) continue;
      const [name, parse] = known;
      cuda[name] = parse(value, (why) => new Error(`execution provider cuda: ${key}=${value} ${why}`));
    }
    session.cuda = cuda as CudaProviderOptions;
  }
  const on = (key: string) => spec.options[key] === "1" || spec.options[key] === "true";
  return { session, runAhead: on("run_ahead"), overlapHalves: on("overlap") };
}
