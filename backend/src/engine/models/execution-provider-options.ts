import type { InferenceSession } from "onnxruntime-node";

/**
 * An execution provider with options, written `name` or `name:key=value,key=value` in a provider list
 * (`SDGATE_EXECUTION_PROVIDERS=cuda:device_id=1,enable_mem_pattern=0,cpu`): each `name:` starts a new
 * provider, options follow it.
 *
 * What onnxruntime-node 1.29 really passes through (js/node/src/session_options_helper.cc,
 * `ParseExecutionProviders`, and the strings in its onnxruntime_binding.node): for `cuda` only the
 * device id (`CreateCUDAProviderOptions`, then `device_id`, then `AppendExecutionProvider_CUDA_V2`), so
 * cuDNN's algorithm search, NHWC preference, CUDA graphs, the arena and the copy stream keep ORT's
 * defaults (EXHAUSTIVE, off, off, next-power-of-two, default stream); for `webgpu` its named string
 * options; for every provider the session options and `extra` config entries (`session.*`).
 * Output locations other than the CPU exist only as WebGPU's `gpu-buffer`, so CUDA results always come
 * back to the host.
 */
export interface ExecutionProviderSpec {
  readonly name: string;
  readonly options: Readonly<Record<string, string>>;
}

/**
 * CUDA provider options onnxruntime has that the 1.29 Node binding drops. They reach the provider only
 * on the device loop's sessions (`device_loop=1`: the UNet and VAE decoder through onnxruntime's C API,
 * see engine/device-loop/); asked for without it, they are an error.
 */
export const CUDA_OPTIONS_NOT_PASSED = [
  "cudnn_conv_algo_search",
  "prefer_nhwc",
  "enable_cuda_graph",
  "gpu_mem_limit",
  "arena_extend_strategy",
  "do_copy_in_default_stream",
  "use_tf32",
  "cudnn_conv_use_max_workspace",
  "enable_skip_layer_norm_strict_mode",
  "use_ep_level_unified_stream",
];

const WEBGPU_STRING_OPTIONS = [
  "preferredLayout",
  "validationMode",
  "storageBufferCacheMode",
  "uniformBufferCacheMode",
  "queryResolveBufferCacheMode",
  "defaultBufferCacheMode",
];

const GRAPH_LEVELS = ["disabled", "basic", "extended", "layout", "all"] as const;

/** Options of the device loop itself, read by engine/device-loop/native-options.ts. */
const DEVICE_LOOP_FLAGS = ["device_loop", "run_ahead", "overlap"];

/** Whether the spec asks for the device loop (`device_loop=1`), where the provider supports one. */
export function wantsDeviceLoop(spec: ExecutionProviderSpec): boolean {
  const value = spec.options.device_loop;
  return value === "1" || value === "true";
}

/**
 * Split a provider list into specs: `["cuda:device_id=1,enable_mem_pattern=0", "cpu"]` or the one
 * string `"cuda:device_id=1,enable_mem_pattern=0,cpu"` (a comma-separated item without `=` names the
 * next provider).
 *
 * @example
 * parseExecutionProviders(["cuda:device_id=1,cpu"]) // [{ name: "cuda", options: { device_id: "1" } }, { name: "cpu", options: {} }]
 */
export function parseExecutionProviders(list: readonly string[]): ExecutionProviderSpec[] {
  const specs: { name: string; options: Record<string, string> }[] = [];
  for (const item of list.flatMap((entry) => entry.split(","))) {
    const text = item.trim();
    if (text === "") continue;
    const colon = text.indexOf(":");
    const equals = text.indexOf("=");
    if (equals === -1 || (colon !== -1 && colon < equals)) {
      const name = (colon === -1 ? text : text.slice(0, colon)).trim();
      if (!/^[a-z][a-z0-9_-]*$/i.test(name))
        throw new Error(`execution provider: '${text}' has no valid name`);
      specs.push({ name, options: {} });
      if (colon !== -1 && text.slice(colon + 1).trim() !== "") addOption(specs, text.slice(colon + 1));
    } else {
      addOption(specs, text);
    }
  }
  for (const spec of specs) sessionOptionsFor(spec); // validates every key now, at configuration time
  return specs;
}

function addOption(specs: { name: string; options: Record<string, string> }[], text: string): void {
  const last = specs.at(-1);
  const [key, ...rest] = text.split("=");
  const value = rest.join("=").trim();
  if (last === undefined)
    throw new Error(`execution provider option '${text}' comes before any provider name`);
  if (key === undefined || key.trim() === "" || value === "")
    throw new Error(`execution provider ${last.name}: option '${text}' is not key=value`);
  last.options[key.trim()] = value;
}

/**
 * The `InferenceSession.create` options for one provider spec, or an error naming the key that
 * onnxruntime-node 1.29 cannot pass on.
 */
export function sessionOptionsFor(spec: ExecutionProviderSpec): InferenceSession.SessionOptions {
  const provider: Record<string, unknown> = { name: spec.name };
  const session: InferenceSession.SessionOptions = { graphOptimizationLevel: "all", logSeverityLevel: 3 };
  const extra: Record<string, string> = {};
  if (spec.name === "cpu") {
    // onnxruntime's CPU arena keeps the largest block each request shape ever needed and never gives
    // it back, so under mixed sizes and batches resident memory climbs to the worst mix seen (a soak
    // grew 262 → 298 MiB over 8 minutes with it, and stayed within 256–273 MiB without it; the
    // generation time did not change). Memory a server holds should not depend on its history.
    session.enableCpuMemArena = false;
  }
  if (spec.name === "cuda") {
    // The thread that calls run() launches every CUDA kernel; onnxruntime's intra-op pool, spinning on
    // the other cores between its few CPU nodes, takes time from it. On an H200 (docs/benchmarks.md,
    // issue 7) one intra-op thread without spinning took the fused SD 1.5 UNet step from p50 10.6 ms
    // (min 8.6) to p50 8.5 ms (min 8.4): the median-vs-minimum spread was this, not the GPU.
    // Either can still be set per provider (`cuda:intra_op_num_threads=0` for onnxruntime's default).
    session.intraOpNumThreads = 1;
    extra["session.intra_op.allow_spinning"] = "0";
  }
  for (const [key, value] of Object.entries(spec.options)) {
    const bad = (why: string) => new Error(`execution provider ${spec.name}: ${key}=${value} ${why}`);
    if (key === "device_id" || key === "deviceId") {
      provider.deviceId = nonNegativeInt(value, bad);
    } else if (key === "graph_optimization_level") {
      if (!(GRAPH_LEVELS as readonly string[]).includes(value))
        throw bad(`is not one of ${GRAPH_LEVELS.join(", ")}`);
      session.graphOptimizationLevel = value as (typeof GRAPH_LEVELS)[number];
    } else if (key === "enable_mem_pattern") {
      session.enableMemPattern = flag(value, bad);
    } else if (key === "enable_cpu_mem_arena") {
      session.enableCpuMemArena = flag(value, bad);
    } else if (key === "execution_mode") {
      if (value !== "sequential" && value !== "parallel") throw bad("is not sequential or parallel");
      session.executionMode = value;
    } else if (key === "intra_op_num_threads") {
      session.intraOpNumThreads = nonNegativeInt(value, bad);
    } else if (key === "inter_op_num_threads") {
      session.interOpNumThreads = nonNegativeInt(value, bad);
    } else if (key.startsWith("session.")) {
      extra[key] = value;
    } else if (spec.name === "webgpu" && WEBGPU_STRING_OPTIONS.includes(key)) {
      provider[key] = value;
    } else if (spec.name === "webgpu" && key === "enableRobustness") {
      provider[key] = flag(value, bad);
    } else if ((spec.name === "cuda" || spec.name === "cpu") && DEVICE_LOOP_FLAGS.includes(key)) {
      flag(value, bad);
    } else if (spec.name === "cuda" && CUDA_OPTIONS_NOT_PASSED.includes(key)) {
      if (!wantsDeviceLoop(spec)) {
        throw bad(
          "is a CUDA provider option onnxruntime-node 1.29 does not pass on (its binding sets only device_id); add device_loop=1 to run the UNet through onnxruntime's C API, which takes it",
        );
      }
    } else if (key === "run_ahead" || key === "overlap") {
      throw bad("is an option of the device loop, which runs on cuda or cpu");
    } else {
      throw bad("is not an option this binding accepts");
    }
  }
  session.executionProviders = [
    Object.keys(provider).length === 1 ? spec.name : (provider as { name: string }),
  ];
  if (Object.keys(extra).length > 0) session.extra = extra;
  return session;
}

function nonNegativeInt(value: string, bad: (why: string) => Error): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < 0) throw bad("is not a non-negative integer");
  return number;
}

function flag(value: string, bad: (why: string) => Error): boolean {
  if (value === "1" || value === "true") return true;
  if (value === "0" || value === "false") return false;
  throw bad("is not 0/1 or true/false");
}
