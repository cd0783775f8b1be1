import { GraphBuilder } from "../model-builder/graph.ts";

/** `y = x * 2 + b`, float32 `[batch, width]`: the binding's tests run it. */
export function scaleAndShiftModel(): Uint8Array {
  const g = new GraphBuilder("scale_and_shift");
  const x = g.input("x", "float", ["batch", "width"]);
  const b = g.input("b", "float", ["width"]);
  const two = g.initializer("two", new Float32Array([2]), [1]);
  g.output(g.node("Add", [g.node("Mul", [x, two]), b]), "float", ["batch", "width"], "y");
  return g.encode();
}

/** `next = state + 1` (int64 `[1]`) and `out = x` (float32): a step counter that IO binding ping-pongs. */
export function counterModel(): Uint8Array {
  const g = new GraphBuilder("counter");
  const state = g.input("state", "int64", [1]);
  const one = g.initializer("one", new BigInt64Array([1n]), [1]);
  g.output(g.node("Add", [state, one]), "int64", [1], "next");
  return g.encode();
}
