import { InferenceSession } from "onnxruntime-node";

/**
 * Times every `InferenceSession.run` in the process by wrapping the prototype method, so a benchmark
 * can split a generation into ONNX Runtime's share and everything else (the engine's overhead)
 * without the engine knowing it is measured.
 */
export function timeSessionRuns(): { takeMs(): number; restore(): void } {
  // The binding's declared type is a factory interface; at run time it is the class, with a prototype.
  const proto = (
    InferenceSession as unknown as { prototype: { run: (...args: unknown[]) => Promise<unknown> } }
  ).prototype;
  const original = proto.run;
  let totalMs = 0;
  proto.run = async function timedRun(this: unknown, ...args: unknown[]) {
    const startedMs = performance.now();
    try {
      return await original.apply(this, args);
    } finally {
      totalMs += performance.now() - startedMs;
    }
  };
  return {
    takeMs() {
      const value = totalMs;
      totalMs = 0;
      return value;
    },
    restore() {
      proto.run = original;
    },
  };
}
