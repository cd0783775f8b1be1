import { describe, expect, it } from "vitest";
import { parseExecutionProviders, sessionOptionsFor } from "./execution-provider-options.ts";

describe("execution provider options", () => {
  it("reads plain names as before", () => {
    expect(parseExecutionProviders(["cuda", "cpu"])).toEqual([
      { name: "cuda", options: {} },
      { name: "cpu", options: {} },
    ]);
    expect(sessionOptionsFor({ name: "cpu", options: {} })).toEqual({
      executionProviders: ["cpu"],
      graphOptimizationLevel: "all",
      logSeverityLevel: 3,
      enableCpuMemArena: false,
    });
    const [arena] = parseExecutionProviders(["cpu:enable_cpu_mem_arena=1"]);
    expect(sessionOptionsFor(arena as NonNullable<typeof arena>).enableCpuMemArena).toBe(true);
  });

  it("reads options after a colon, in one string or a list, until the next provider name", () => {
    const specs = parseExecutionProviders([
      "cuda:device_id=1,enable_mem_pattern=0,session.use_device_allocator_for_initializers=1,cpu",
    ]);
    expect(specs).toEqual([
      {
        name: "cuda",
        options: {
          device_id: "1",
          enable_mem_pattern: "0",
          "session.use_device_allocator_for_initializers": "1",
        },
      },
      { name: "cpu", options: {} },
    ]);
    expect(sessionOptionsFor(specs[0] as (typeof specs)[0])).toEqual({
      executionProviders: [{ name: "cuda", deviceId: 1 }],
      graphOptimizationLevel: "all",
      logSeverityLevel: 3,
      enableMemPattern: false,
      intraOpNumThreads: 1,
      extra: {
        "session.intra_op.allow_spinning": "0",
        "session.use_device_allocator_for_initializers": "1",
      },
    });
  });

  it("gives CUDA one intra-op thread that does not spin, unless the provider's options say otherwise", () => {
    expect(sessionOptionsFor({ name: "cuda", options: {} })).toEqual({
      executionProviders: ["cuda"],
      graphOptimizationLevel: "all",
      logSeverityLevel: 3,
      intraOpNumThreads: 1,
      extra: { "session.intra_op.allow_spinning": "0" },
    });
    const [overridden] = parseExecutionProviders([
      "cuda:intra_op_num_threads=0,session.intra_op.allow_spinning=1",
    ]);
    expect(sessionOptionsFor(overridden as NonNullable<typeof overridden>)).toMatchObject({
      intraOpNumThreads: 0,
      extra: { "session.intra_op.allow_spinning": "1" },
    });
    expect(sessionOptionsFor({ name: "webgpu", options: {} })).not.toHaveProperty("intraOpNumThreads");
  });

  it("passes WebGPU's own options and session-wide ones", () => {
    const [webgpu] = parseExecutionProviders([
      "webgpu:preferredLayout=NHWC,graph_optimization_level=extended",
    ]);
    expect(sessionOptionsFor(webgpu as NonNullable<typeof webgpu>)).toMatchObject({
      executionProviders: [{ name: "webgpu", preferredLayout: "NHWC" }],
      graphOptimizationLevel: "extended",
    });
  });

  it("refuses CUDA options the 1.29 binding drops, naming the key, instead of ignoring them", () => {
    expect(() => parseExecutionProviders(["cuda:cudnn_conv_algo_search=HEURISTIC"])).toThrow(
      /cuda: cudnn_conv_algo_search=HEURISTIC is a CUDA provider option onnxruntime-node 1.29 does not pass on/,
    );
    expect(() => parseExecutionProviders(["cuda:prefer_nhwc=1"])).toThrow(/prefer_nhwc=1.*add device_loop=1/);
  });

  it("takes them for the device loop, whose sessions go through onnxruntime's C API", () => {
    const [cuda] = parseExecutionProviders([
      "cuda:device_loop=1,enable_cuda_graph=1,prefer_nhwc=1,run_ahead=1",
    ]);
    // onnxruntime-node's own sessions still get only what its binding passes
    expect(sessionOptionsFor(cuda as NonNullable<typeof cuda>).executionProviders).toEqual(["cuda"]);
    expect(() => parseExecutionProviders(["cuda:device_loop=maybe"])).toThrow(/device_loop=maybe/);
    expect(() => parseExecutionProviders(["webgpu:run_ahead=1"])).toThrow(
      /run_ahead=1 is an option of the device loop/,
    );
  });

  it("rejects malformed lists with the bad text", () => {
    expect(() => parseExecutionProviders(["device_id=1,cuda"])).toThrow(/comes before any provider name/);
    expect(() => parseExecutionProviders(["cuda:device_id=-1"])).toThrow(
      /device_id=-1 is not a non-negative integer/,
    );
    expect(() => parseExecutionProviders(["cpu:graph_optimization_level=max"])).toThrow(
      /graph_optimization_level=max/,
    );
    expect(() => parseExecutionProviders(["cpu:frobnicate=1"])).toThrow(/frobnicate=1 is not an option/);
  });
});
