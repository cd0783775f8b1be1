import { describe, expect, it } from "vitest";
import { createSharedCudaStream } from "./cuda-stream.ts";
import { cudaOptionStrings } from "./session-options.ts";

describe("a CUDA stream shared by sessions", () => {
  it("is passed to the provider as user_compute_stream, the address in decimal", () => {
    expect(cudaOptionStrings({ enableCudaGraph: true, userComputeStream: 0x7f00_1234_5000n })).toEqual([
      ["enable_cuda_graph", "1"],
      ["user_compute_stream", "139638282145792"],
    ]);
  });

  it("comes from the CUDA runtime, and without one the error says so", () => {
    // this machine and CI have CUDA 13's runtime but no GPU driver (CUDA error 35, insufficient
    // driver); a machine without the runtime says that; one with a GPU gets a real stream
    let stream: bigint | undefined;
    try {
      stream = createSharedCudaStream();
    } catch (error) {
      expect(String(error)).toMatch(
        /no CUDA runtime to create a shared stream with \(libcudart\.so\.13: |cudaStreamCreateWithFlags failed with CUDA error \d+ \(libcudart\.so\.13\)/,
      );
      return;
    }
    expect(stream).toBeGreaterThan(0n);
  });
});
