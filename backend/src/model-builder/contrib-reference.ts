/**
 * For tests on a machine without CUDA: rewrite the `com.microsoft` operators that have only CUDA kernels
 * (NhwcConv, GroupNorm, SkipGroupNorm, BiasSplitGelu, BiasAdd, MultiHeadAttention on packed QKV or KV)
 * into standard ONNX operators, following each schema's documentation
 * (onnxruntime/core/graph/contrib_ops/diffusion_defs.cc, bert_defs.cc, nhwc_schema_defs.cc). A fused
 * graph rewritten this way runs on the CPU provider, so its wiring, packing and weight layouts can be
 * compared with the standard graph; the CUDA kernels' own numbers are checked on the device.
 * float32 graphs only.
 */
import onnx from "onnx-proto";

type Node = onnx.onnx.INodeProto;

/** Contrib operators with no CPU kernel in onnxruntime-node 1.29 (each probed: "Could not find an implementation"). */
export const CUDA_ONLY_OPS = ["NhwcConv", "GroupNorm", "SkipGroupNorm", "BiasSplitGelu", "BiasAdd"] as const;

/** Rewrite every CUDA-only contrib node of `model` (ONNX bytes) as standard operators. */
export function expandCudaOnlyOps(model: Uint8Array): Uint8Array {
  const proto = onnx.onnx.ModelProto.decode(model);
  const graph = proto.graph;
  if (!graph) throw new Error("model has no graph");
  const out = new Emitter(graph);
  for (const node of graph.node ?? []) {
    const expand = node.domain === "com.microsoft" ? EXPANSIONS[node.opType ?? ""] : undefined;
    if (expand === undefined || (node.opType === "MultiHeadAttention" && !isPacked(node))) out.keep(node);
    else expand(out, node);
  }
  graph.node = out.nodes;
  return onnx.onnx.ModelProto.encode(proto).finish();
}

/** MultiHeadAttention with packed QKV (one input) or packed KV (query and a 5-D key, no value). */
function isPacked(node: Node): boolean {
  const inputs = (node.input ?? []).filter((name) => name !== "");
  return inputs.length <= 2;
}

class Emitter {
  readonly nodes: Node[] = [];
  readonly #graph: onnx.onnx.IGraphProto;
  #counter = 0;

  constructor(graph: onnx.onnx.IGraphProto) {
    this.#graph = graph;
  }

  keep(node: Node): void {
    this.nodes.push(node);
  }

  node(
    opType: string,
    inputs: string[],
    attribute: onnx.onnx.IAttributeProto[] = [],
    output?: string,
  ): string {
    const name = output ?? `expanded_${opType}_${this.#counter++}`;
    this.nodes.push({ opType, input: inputs, output: [name], attribute, name: `${name}_node` });
    return name;
  }

  split2(x: string, axis: number): [string, string] {
    const names = [`expanded_split_${this.#counter++}`, `expanded_split_${this.#counter++}`];
    this.nodes.push({ opType: "Split", input: [x], output: names, attribute: [ints("axis", axis)] });
    return names as [string, string];
  }

  int64s(values: number[]): string {
    const name = `expanded_const_${this.#counter++}`;
    const data = new Uint8Array(values.length * 8);
    const view = new DataView(data.buffer);
    values.forEach((v, i) => {
      view.setBigInt64(i * 8, BigInt(v), true);
    });
    this.#graph.initializer?.push({ name, dims: [values.length], dataType: 7, rawData: data });
    return name;
  }

  floats(values: number[]): string {
    const name = `expanded_const_${this.#counter++}`;
    const data = new Uint8Array(new Float32Array(values).buffer);
    this.#graph.initializer?.push({ name, dims: [values.length], dataType: 1, rawData: data });
    return name;
  }
}

function ints(name: string, value: number | number[]): onnx.onnx.IAttributeProto {
  return Array.isArray(value) ? { name, type: 7, ints: value } : { name, type: 2, i: value };
}

function attr(node: Node, name: string): onnx.onnx.IAttributeProto | undefined {
  return node.attribute?.find((a) => a.name === name);
}

function intAttr(node: Node, name: string, fallback: number): number {
  const found = attr(node, name);
  return found?.i === undefined || found.i === null ? fallback : Number(found.i);
}

function floatAttr(node: Node, name: string, fallback: number): number {
  return attr(node, name)?.f ?? fallback;
}

function input(node: Node, index: number): string {
  const name = node.input?.[index];
  if (name === undefined || name === "") throw new Error(`${node.opType} ${node.name}: no input ${index}`);
  return name;
}

function output(node: Node, index: number): string | undefined {
  const name = node.output?.[index];
  return name === undefined || name === "" ? undefined : name;
}

const nhwcToNchw = (e: Emitter, x: string) => e.node("Transpose", [x], [ints("perm", [0, 3, 1, 2])]);

/** GroupNorm over NCHW `x` with [C] affine, as torch exports `nn.GroupNorm`, then optionally SiLU. */
function groupNormNchw(e: Emitter, x: string, node: Node): string {
  const groups = intAttr(node, "groups", 0);
  const epsilon = floatAttr(node, "epsilon", 1e-5);
  const grouped = e.node("Reshape", [x, e.int64s([0, groups, -1])]);
  const normed = e.node(
    "InstanceNormalization",
    [grouped, e.floats(new Array(groups).fill(1)), e.floats(new Array(groups).fill(0))],
    [{ name: "epsilon", type: 1, f: epsilon }],
  );
  const restored = e.node("Reshape", [normed, e.node("Shape", [x])]);
  const perChannel = (value: string) => e.node("Unsqueeze", [value, e.int64s([1, 2])]);
  let y = e.node("Add", [e.node("Mul", [restored, perChannel(input(node, 1))]), perChannel(input(node, 2))]);
  if (intAttr(node, "activation", 0) === 1) y = e.node("Mul", [y, e.node("Sigmoid", [y])]);
  return y;
}

function gelu(e: Emitter, x: string): string {
  const erf = e.node("Erf", [e.node("Div", [x, e.floats([Math.SQRT2])])]);
  return e.node("Mul", [e.node("Mul", [x, e.node("Add", [erf, e.floats([1])])]), e.floats([0.5])]);
}

/** Part `index` of a packed [B, S, N, parts, H] tensor as [B, S, N·H]. */
function unpack(e: Emitter, packed: string, index: number): string {
  const part = e.node("Slice", [packed, e.int64s([index]), e.int64s([index + 1]), e.int64s([3])]);
  return e.node("Reshape", [part, e.int64s([0, 0, -1])]);
}

const EXPANSIONS: Record<string, (e: Emitter, node: Node) => void> = {
  NhwcConv(e, node) {
    const weight = e.node("Transpose", [input(node, 1)], [ints("perm", [0, 3, 1, 2])]);
    const inputs = [nhwcToNchw(e, input(node, 0)), weight, ...(node.input ?? []).slice(2)];
    const conv = e.node("Conv", inputs, node.attribute ?? []);
    e.node("Transpose", [conv], [ints("perm", [0, 2, 3, 1])], output(node, 0));
  },
  GroupNorm(e, node) {
    const y = groupNormNchw(e, nhwcToNchw(e, input(node, 0)), node);
    e.node("Transpose", [y], [ints("perm", [0, 2, 3, 1])], output(node, 0));
  },
  SkipGroupNorm(e, node) {
    // The schema allows a skip of (N, H, W, C), (N, 1, 1, C) or (N, C); the builder writes only the
    // ResNet's (N, C) time embedding, widened here to (N, 1, 1, C). bias (C) is optional.
    const widened = e.node("Unsqueeze", [input(node, 3), e.int64s([1, 2])]);
    let sum = e.node("Add", [input(node, 0), widened]);
    const bias = node.input?.[4];
    if (bias !== undefined && bias !== "") sum = e.node("Add", [sum, bias]);
    const y = groupNormNchw(e, nhwcToNchw(e, sum), node);
    e.node("Transpose", [y], [ints("perm", [0, 2, 3, 1])], output(node, 0));
    const sumOut = output(node, 1);
    if (sumOut !== undefined) e.node("Identity", [sum], [], sumOut);
  },
  BiasSplitGelu(e, node) {
    const [left, right] = e.split2(e.node("Add", [input(node, 0), input(node, 1)]), -1);
    e.node("Mul", [left, gelu(e, right)], [], output(node, 0));
  },
  BiasAdd(e, node) {
    const biased = e.node("Add", [input(node, 0), input(node, 1)]);
    e.node("Add", [biased, input(node, 2)], [], output(node, 0));
  },
  MultiHeadAttention(e, node) {
    const inputs = (node.input ?? []).filter((name) => name !== "");
    const [query, key, value] =
      inputs.length === 1
        ? [0, 1, 2].map((i) => unpack(e, input(node, 0), i))
        : [input(node, 0), unpack(e, input(node, 1), 0), unpack(e, input(node, 1), 1)];
    e.nodes.push({
      opType: "MultiHeadAttention",
      domain: "com.microsoft",
      input: [query as string, key as string, value as string],
      output: [output(node, 0) as string],
      attribute: node.attribute ?? [],
      name: `${node.name}_unpacked`,
    });
  },
};
