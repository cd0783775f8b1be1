import { describe, expect, it } from "vitest";
import koffi from "./koffi-setup.ts";
import { liveNativeObjects } from "./native-handle.ts";
import { NativeRunOptions } from "./run-options.ts";
import { OrtRuntime } from "./runtime.ts";
import { NativeSession } from "./session.ts";
import { isOrtError, OrtError } from "./status.ts";
import { counterModel, scaleAndShiftModel } from "./test-graphs.ts";

const MALLINFO2_FIELDS = [
  "arena",
  "ordblks",
  "smblks",
  "hblks",
  "hblkhd",
  "usmblks",
  "fsmblks",
  "uordblks",
  "fordblks",
  "keepcost",
];

const ort = OrtRuntime.shared();
const libc = koffi.load("libc.so.6");
const mallinfo2 = libc.func(
  "mallinfo2",
  koffi.struct("mallinfo2", Object.fromEntries(MALLINFO2_FIELDS.map((field) => [field, "size_t"]))),
  [],
);

describe("onnxruntime through its C API (koffi)", () => {
  it("reads the library's version and the model's inputs and outputs", () => {
    expect(ort.api.version).toBe("1.29.0");
    using session = NativeSession.create(ort, scaleAndShiftModel());
    expect(session.inputs).toEqual([
      { name: "x", type: "float32", dims: [-1, -1] },
      { name: "b", type: "float32", dims: [-1] },
    ]);
    expect(session.outputs).toEqual([{ name: "y", type: "float32", dims: [-1, -1] }]);
  });

  it("runs a model on host tensors, synchronously and off the event loop", async () => {
    using session = NativeSession.create(ort, scaleAndShiftModel(), { intraOpNumThreads: 1 });
    using x = ort.hostTensor("float32", [2, 4], new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]));
    using b = ort.hostTensor("float32", [4], new Float32Array([0.5, 0, -1, 10]));
    const { y } = session.run({ x, b });
    expect(y?.dims).toEqual([2, 4]);
    expect(Array.from(y?.read("float32") ?? [])).toEqual([2.5, 4, 5, 18, 10.5, 12, 13, 26]);
    y?.release();
    const outputs = await session.runAsync({ x, b }, ["y"]);
    expect(Array.from(outputs.y?.read("float32") ?? [])).toEqual([2.5, 4, 5, 18, 10.5, 12, 13, 26]);
    outputs.y?.release();
  });

  it("binds inputs and outputs to tensors that runs read and write in place", () => {
    using session = NativeSession.create(ort, counterModel());
    using a = ort.hostTensor("int64", [1], new BigInt64Array([5n]));
    using b = ort.hostTensor("int64", [1]);
    using forward = session.bind().bindInput("state", a).bindOutput("next", b);
    using backward = session.bind().bindInput("state", b).bindOutput("next", a);
    for (let i = 0; i < 3; i++) {
      forward.run();
      backward.run();
    }
    expect(a.read("int64")[0]).toBe(11n);
    const [bound] = forward.outputs();
    expect(bound?.read("int64")[0]).toBe(10n);
    bound?.release();
  });

  it("allocates outputs bound to a location and hands them back", () => {
    using session = NativeSession.create(ort, scaleAndShiftModel());
    using x = ort.hostTensor("float32", [1, 4], new Float32Array([1, 1, 1, 1]));
    using b = ort.hostTensor("float32", [4]);
    using binding = session.bind().bindInput("x", x).bindInput("b", b).bindOutputTo("y", session.location);
    binding.run();
    binding.synchronizeOutputs();
    const [y] = binding.outputs();
    expect(Array.from(y?.read("float32") ?? [])).toEqual([2, 2, 2, 2]);
    y?.release();
  });

  it("turns every failing status into an OrtError naming the call and onnxruntime's code", () => {
    expect(() => NativeSession.create(ort, "/nonexistent/model.onnx")).toThrow(OrtError);
    try {
      NativeSession.create(ort, new Uint8Array([1, 2, 3]));
    } catch (error) {
      expect(isOrtError(error) && error.call).toBe("CreateSessionFromArray");
      expect(isOrtError(error) && error.code).toBe("INVALID_PROTOBUF");
    }
    using session = NativeSession.create(ort, scaleAndShiftModel());
    using x = ort.hostTensor("float32", [3]);
    using b = ort.hostTensor("float32", [4]);
    expect(() => session.run({ x, b })).toThrow(/Run failed \(INVALID_ARGUMENT\).*x/);
    expect(() => session.run({ x }, ["nope"])).toThrow(/no output 'nope'/);
  });

  it("sets run options and run config entries, and a terminated run fails", () => {
    using session = NativeSession.create(ort, scaleAndShiftModel());
    using x = ort.hostTensor("float32", [1, 4]);
    using b = ort.hostTensor("float32", [4]);
    using options = new NativeRunOptions(ort.api, { tag: "t", config: { gpu_graph_id: "1" } });
    session.run({ x, b }, ["y"], options).y?.release();
    options.terminate();
    expect(() => session.run({ x, b }, ["y"], options)).toThrow(/Run failed/);
    options.resume();
    session.run({ x, b }, ["y"], options).y?.release();
    expect(() => new NativeRunOptions(ort.api, { config: { "": "x" } })).toThrow(OrtError);
  });

  it("passes the CUDA provider's options, and says when the provider library is absent", () => {
    // CI has no CUDA provider beside libonnxruntime.so.1: updating the options loads it, so that call fails
    const attempt = () =>
      NativeSession.create(ort, scaleAndShiftModel(), {
        cuda: { deviceId: 0, enableCudaGraph: true, preferNhwc: true, cudnnConvAlgoSearch: "HEURISTIC" },
      });
    expect(attempt).toThrow(/UpdateCUDAProviderOptions failed .*libonnxruntime_providers_(shared|cuda)/);
  });

  it("keeps what an async run uses alive when it is released mid-run, and frees it after", async () => {
    const before = liveNativeObjects();
    const session = NativeSession.create(ort, scaleAndShiftModel());
    const x = ort.hostTensor("float32", [256, 4096]);
    const b = ort.hostTensor("float32", [4096]);
    const running = session.runAsync({ x, b });
    // what `using` does when a function returns an un-awaited run: before the fix, a segfault
    x.release();
    b.release();
    session.release();
    expect(x.handle.released).toBe(false);
    const { y } = await running;
    expect(y?.dims).toEqual([256, 4096]);
    y?.release();
    expect(x.handle.released && b.handle.released && session.handle.released).toBe(true);
    expect(liveNativeObjects()).toEqual(before);
  });

  it("releases every native object it creates", () => {
    const before = liveNativeObjects();
    const session = NativeSession.create(ort, scaleAndShiftModel());
    const x = ort.hostTensor("float32", [1, 4]);
    const b = ort.hostTensor("float32", [4]);
    const binding = session.bind().bindInput("x", x).bindInput("b", b).bindOutputTo("y", session.location);
    binding.run();
    for (const output of binding.outputs()) output.release();
    expect(liveNativeObjects().OrtValue).toBe((before.OrtValue ?? 0) + 2);
    x.release();
    b.release();
    session.release();
    expect(binding.handle.released).toBe(true);
    expect(liveNativeObjects()).toEqual(before);
    expect(() => session.run({})).toThrow(/used after it was released/);
  });
});

describe("native objects over many runs", () => {
  it("leaves nothing behind after 10,000 bound runs", () => {
    using session = NativeSession.create(ort, scaleAndShiftModel(), { intraOpNumThreads: 1 });
    using options = new NativeRunOptions(ort.api, { config: { gpu_graph_id: "0" } });
    // 64 KiB tensors, so that one left behind per run stands out of the C heap's noise; the JS arrays
    // are reused, as their own memory comes and goes with V8's collections
    const values = new Float32Array(16_384);
    const runs = (count: number) => {
      for (let i = 0; i < count; i++) {
        using x = ort.hostTensor("float32", [1, 16_384], values.fill(i));
        using b = ort.hostTensor("float32", [16_384]);
        using binding = session
          .bind()
          .bindInput("x", x)
          .bindInput("b", b)
          .bindOutputTo("y", session.location);
        binding.run(options);
        const [y] = binding.outputs();
        if (i % 1000 === 0 && y?.read("float32")[16_383] !== 2 * i)
          throw new Error(`run ${i} computed wrongly`);
        y?.release();
      }
    };
    runs(1_000); // onnxruntime's allocator and V8's heap settle first
    const before = liveNativeObjects();
    const nativeBefore = nativeBytes();
    runs(10_000);
    expect(liveNativeObjects()).toEqual(before);
    // every wrapper released its object (the count is exact), and the C heap agrees: a tensor left
    // behind per run would hold 640 MB, where the heap's own ups and downs (V8's compiler zones among
    // them) were seen up to 18 MB
    expect(nativeBytes() - nativeBefore).toBeLessThan(64 * 2 ** 20);
  });
});

/**
 * Bytes the C heap has handed out and not taken back (glibc's `mallinfo2().uordblks`): exact, where
 * resident memory moves with V8's heap and the allocator's caches.
 */
function nativeBytes(): number {
  const { uordblks } = mallinfo2() as { uordblks: number | bigint };
  return Number(uordblks);
}
