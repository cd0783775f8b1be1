import { InferenceSession, Tensor } from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { float, GraphBuilder } from "./graph.ts";
import { groupNorm, type LayerContext, linear } from "./nn.ts";
import { CountingSink } from "./tensor-sink.ts";
import { WeightSource } from "./weights.ts";

async function run(model: Uint8Array, feeds: Record<string, Tensor>): Promise<InferenceSession.ReturnType> {
  const session = await InferenceSession.create(model);
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

/** GroupNorm as torch defines it, in plain JS: per (n, group) mean and biased variance. */
function groupNormReference(
  x: Float32Array,
  [n, c, h, w]: readonly [number, number, number, number],
  groups: number,
  gamma: Float32Array,
  beta: Float32Array,
  eps: number,
) {
  const out = new Float32Array(x.length);
  const perGroup = (c / groups) * h * w;
  for (let b = 0; b < n; b++) {
    for (let g = 0; g < groups; g++) {
      const start = (b * c + g * (c / groups)) * h * w;
      const slice = x.subarray(start, start + perGroup);
      const mean = slice.reduce((s, v) => s + v, 0) / perGroup;
      const variance = slice.reduce((s, v) => s + (v - mean) ** 2, 0) / perGroup;
      for (let i = 0; i < perGroup; i++) {
        const channel = g * (c / groups) + Math.floor(i / (h * w));
        out[start + i] =
          (((slice[i] as number) - mean) / Math.sqrt(variance + eps)) * (gamma[channel] as number) +
          (beta[channel] as number);
      }
    }
  }
  return out;
}

describe("GraphBuilder", () => {
  it("builds a graph onnxruntime runs, with the declared names", async () => {
    const g = new GraphBuilder("affine");
    const x = g.input("x", "float", ["batch", 3]);
    const y = g.node("Add", [g.node("Mul", [x, g.floats([2], [])]), g.floats([1, 2, 3])]);
    g.output(y, "float", ["batch", 3], "y");
    const results = await run(g.encode(), {
      x: new Tensor("float32", Float32Array.from([1, 1, 1, 0, -1, 2]), [2, 3]),
    });
    expect(Array.from(results.y?.data as Float32Array)).toEqual([3, 4, 5, 1, 0, 7]);
  });

  it("exports GroupNorm the way torch does (Reshape, InstanceNormalization, Reshape, Mul, Add) with torch's numbers", async () => {
    const dims = [2, 8, 3, 5] as const;
    const g = new GraphBuilder("group_norm");
    const ctx: LayerContext = { g, weights: new WeightSource(1) };
    const x = g.input("x", "float", ["batch", 8, "height", "width"]);
    g.output(groupNorm(ctx, x, "norm", 8, 4), "float", ["batch", 8, "height", "width"], "y");
    const input = new WeightSource(2).normal("x", 2 * 8 * 3 * 5, 3).map((v, i) => v + (i % 7));
    const results = await run(g.encode(), { x: new Tensor("float32", input, dims) });
    const weights = new WeightSource(1);
    const gamma = weights.normal("norm.weight", 8, 0.1).map((v) => 1 + v);
    const beta = weights.normal("norm.bias", 8, 0.1);
    const expected = groupNormReference(input, dims, 4, gamma, beta, 1e-5);
    const actual = results.y?.data as Float32Array;
    expect(actual).toHaveLength(expected.length);
    for (let i = 0; i < expected.length; i++) expect(actual[i]).toBeCloseTo(expected[i] as number, 4);
  });

  it("writes float attributes only when marked, and refuses a fractional int", () => {
    const g = new GraphBuilder("attrs");
    const x = g.input("x", "float", [1, 4]);
    expect(() => g.node("LeakyRelu", [x], { alpha: 0.1 })).toThrow(/use float\(\)/);
    expect(() => g.node("LeakyRelu", [x], { alpha: float(0.1) })).not.toThrow();
  });

  it("encodes the same graph to the same bytes", () => {
    const build = () => {
      const g = new GraphBuilder("same");
      const x = g.input("x", "float", [2]);
      g.output(
        g.node("Relu", [g.node("Add", [x, g.initializer("w", Float32Array.from([0.5, -0.5]), [2])])]),
        "float",
        [2],
        "y",
      );
      return g.encode();
    };
    expect(Buffer.from(build()).equals(Buffer.from(build()))).toBe(true);
  });

  it("refuses a value name used twice", () => {
    const g = new GraphBuilder("dupe");
    g.input("x", "float", [1]);
    expect(() => g.input("x", "float", [1])).toThrow(/used twice/);
  });

  it("float16 graphs store weights as float16 and take and return float16", async () => {
    const g = new GraphBuilder("half", { floatType: "float16" });
    const x = g.input("x", "float16", [1, 2]);
    const y = g.node("Add", [g.node("Mul", [x, g.floats([2], [])]), g.floats([0.5], [])]);
    g.output(y, "float16", [1, 2], "y");
    const session = await InferenceSession.create(g.encode());
    const bits = Uint16Array.from([0x3c00, 0xc000]); // 1, -2
    const input = new Tensor("float16", bits, [1, 2]);
    (input as unknown as { cpuData: Uint16Array }).cpuData = bits; // onnxruntime#26791 on Node ≥ 23
    const out = await session.run({ x: input });
    await session.release();
    expect(out.y?.type).toBe("float16");
    expect(Array.from(out.y?.data as ArrayLike<number>, Number)).toEqual([2.5, -3.5]);
  });

  it("counts parameters through a counting sink without making their values", () => {
    const sink = new CountingSink();
    const g = new GraphBuilder("count", { sink });
    const weights = new WeightSource(1);
    weights.normal = () => {
      throw new Error("a counting build made weights");
    };
    linear({ g, weights }, g.input("x", "float", [1, 3]), "fc", 3, 5);
    g.int64s([1, 2]);
    expect(sink.parameters).toBe(3 * 5 + 5);
    expect(sink.parameterTensors).toBe(2);
  });
});
