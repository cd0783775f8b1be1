import { describe, expect, it } from "vitest";
import { parseExecutionProviders } from "../models/execution-provider-options.ts";
import { deviceLoopSettings } from "./native-options.ts";

const first = (list: string) => parseExecutionProviders([list])[0];

describe("the device loop's settings from SDGATE_EXECUTION_PROVIDERS", () => {
  it("passes every CUDA option typed, with the session options onnxruntime-node's sessions get", () => {
    const settings = deviceLoopSettings(
      first(
        "cuda:device_loop=1,device_id=1,enable_cuda_graph=1,prefer_nhwc=1,cudnn_conv_algo_search=HEURISTIC,use_tf32=0,gpu_mem_limit=8000000000,arena_extend_strategy=kSameAsRequested,run_ahead=1,cpu",
      ),
    );
    expect(settings).toEqual({
      session: {
        graphOptimizationLevel: "all",
        intraOpNumThreads: 1,
        config: { "session.intra_op.allow_spinning": "0" },
        cuda: {
          deviceId: 1,
          enableCudaGraph: true,
          preferNhwc: true,
          cudnnConvAlgoSearch: "HEURISTIC",
          useTf32: false,
          gpuMemLimit: 8_000_000_000,
          arenaExtendStrategy: "kSameAsRequested",
        },
      },
      runAhead: true,
      overlapHalves: false,
    });
  });

  it("is off unless the first provider asks for it", () => {
    expect(deviceLoopSettings(first("cuda:enable_mem_pattern=0"))).toBeUndefined();
    expect(deviceLoopSettings(undefined)).toBeUndefined();
    expect(deviceLoopSettings(first("cpu:device_loop=1,overlap=1"))).toEqual({
      session: { graphOptimizationLevel: "all", enableCpuMemArena: false },
      runAhead: false,
      overlapHalves: true,
    });
  });

  it("names a value the provider would not take", () => {
    expect(() => deviceLoopSettings(first("cuda:device_loop=1,cudnn_conv_algo_search=FASTEST"))).toThrow(
      /cudnn_conv_algo_search=FASTEST is not one of EXHAUSTIVE, HEURISTIC, DEFAULT/,
    );
    expect(() => deviceLoopSettings(first("cuda:device_loop=1,prefer_nhwc=yes"))).toThrow(/prefer_nhwc=yes/);
  });
});
