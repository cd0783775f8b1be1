import onnx from "onnx-proto";
import { float16Bytes } from "./float16.ts";
import { inlineSink, type TensorSink } from "./tensor-sink.ts";

/** ONNX element types the builder writes (TensorProto.DataType). */
export const DataType = { float: 1, int32: 6, int64: 7, float16: 10 } as const;
export type DataTypeName = keyof typeof DataType;
/** The element type of a graph's floating-point values. */
export type FloatTypeName = "float" | "float16";

/** A dimension: a fixed size or a symbolic name such as `"batch"`. */
export type Dim = number | string;

/** A FLOAT attribute; plain numbers are INT attributes, so floats are marked. */
export interface FloatAttribute {
  readonly float: number;
}
export type AttributeValue = number | readonly number[] | string | FloatAttribute;

/** Mark a number as a FLOAT attribute: `{ epsilon: float(1e-5) }`. */
export function float(value: number): FloatAttribute {
  return { float: value };
}

const AttributeType = { float: 1, int: 2, string: 3, ints: 7 } as const;
const OPSET_VERSION = 17;
const IR_VERSION = 8;

export type InitializerData = Float32Array | Int32Array | BigInt64Array;

export interface GraphOptions {
  /**
   * Element type of weights, activations and float inputs/outputs: `float16` is what
   * `torch_dtype=torch.float16` exports write. Float32 data given to the graph is converted.
   */
  floatType?: FloatTypeName;
  /** Where initializer bytes go: inline (default), an external data file, or only counted. */
  sink?: TensorSink;
  /**
   * Per-request LoRA: the module name a low-rank adapter input on layer `layer` (a Linear, kernel 1,
   * or a convolution with that kernel) answers to, as a LoRA file names it, or undefined for a layer
   * without one. See lora-inputs.ts.
   */
  loraModule?: (layer: string, kernel: number) => string | undefined;
}

/**
 * Builds one ONNX graph (opset 17, IR version 8) node by node: each call returns the name of the value
 * it produced, so a model reads like the forward pass it describes.
 *
 * @example
 * const g = new GraphBuilder("double");
 * const x = g.input("x", "float", ["batch", 4]);
 * g.output(g.node("Add", [x, x]), "float", ["batch", 4], "y");
 * const bytes = g.encode();
 */
export class GraphBuilder {
  readonly #name: string;
  readonly #nodes: onnx.onnx.INodeProto[] = [];
  readonly #inputs: onnx.onnx.IValueInfoProto[] = [];
  readonly #outputs: onnx.onnx.IValueInfoProto[] = [];
  readonly #initializers: onnx.onnx.ITensorProto[] = [];
  readonly #names = new Set<string>();
  readonly #constants = new Map<string, string>();
  readonly #domains = new Map<string, number>([["", OPSET_VERSION]]);
  readonly #floatType: FloatTypeName;
  readonly #sink: TensorSink;
  readonly #metadata = new Map<string, string>();
  readonly #loraModule: ((layer: string, kernel: number) => string | undefined) | undefined;
  #counter = 0;

  constructor(name: string, options: GraphOptions = {}) {
    this.#name = name;
    this.#floatType = options.floatType ?? "float";
    this.#sink = options.sink ?? inlineSink;
    this.#loraModule = options.loraModule;
  }

  /** The LoRA module an adapter input on `layer` answers to, when the graph is built with them. */
  loraModule(layer: string, kernel = 1): string | undefined {
    return this.#loraModule?.(layer, kernel);
  }

  /** The element type of this graph's floating-point values. */
  get floatType(): FloatTypeName {
    return this.#floatType;
  }

  /** ONNX's type code for `floatType`, for Cast's `to`. */
  get floatTypeCode(): number {
    return DataType[this.#floatType];
  }

  /**
   * Allow nodes of another operator domain, e.g. `com.microsoft` for onnxruntime's fused contrib
   * operators (MultiHeadAttention, GroupNorm), which a GPU-optimised variant may emit.
   */
  importDomain(domain: string, version: number): void {
    this.#domains.set(domain, version);
  }

  /** A `metadata_props` entry of the model, for loaders that tell graphs apart by it. */
  metadata(key: string, value: string): void {
    this.#metadata.set(key, value);
  }

  /** Declare a graph input. */
  input(name: string, type: DataTypeName, dims: readonly Dim[]): string {
    this.#claim(name);
    this.#inputs.push(valueInfo(name, type, dims));
    return name;
  }

  /** Declare `value` a graph output; with `name`, an Identity gives it that name. */
  output(value: string, type: DataTypeName, dims: readonly Dim[], name = value): string {
    const outName = name === value ? value : this.node("Identity", [value], {}, name);
    this.#outputs.push(valueInfo(outName, type, dims));
    return outName;
  }

  /**
   * A named constant stored in the model (little-endian raw data). Float32 data is stored as `type`
   * (float32 unless asked), so float16 graphs can keep float32 islands as real exports do.
   */
  initializer(
    name: string,
    data: InitializerData,
    dims: readonly number[],
    type: FloatTypeName = "float",
  ): string {
    const count = dims.reduce((a, b) => a * b, 1);
    if (count !== data.length)
      throw new Error(`initializer ${name}: ${data.length} values for dims [${dims}]`);
    const dataType = data instanceof Float32Array ? DataType[type] : dataTypeOf(data);
    this.#store(name, dims, dataType, "constant", () => tensorBytes(data, dataType));
    return name;
  }

  /**
   * A learnt weight in the graph's float type (or `type`, for the float32 GroupNorm affine that
   * onnxruntime's fp16 conversion keeps in float32). `values` runs only when the sink wants the bytes,
   * so a counting build never makes them and a streaming build holds one tensor at a time.
   */
  parameter(
    name: string,
    dims: readonly number[],
    values: () => Float32Array,
    type: FloatTypeName = this.#floatType,
  ): string {
    const count = dims.reduce((a, b) => a * b, 1);
    const dataType = DataType[type];
    this.#store(name, dims, dataType, "parameter", () => {
      const data = values();
      if (data.length !== count)
        throw new Error(`parameter ${name}: ${data.length} values for dims [${dims}]`);
      return tensorBytes(data, dataType);
    });
    return name;
  }

  #store(
    name: string,
    dims: readonly number[],
    dataType: number,
    kind: "parameter" | "constant",
    bytes: () => Uint8Array,
  ): void {
    this.#claim(name);
    const count = dims.reduce((a, b) => a * b, 1);
    const byteLength = count * (dataType === DataType.float16 ? 2 : dataType === DataType.int64 ? 8 : 4);
    const stored = this.#sink.store({ name, dims, dataType, byteLength, kind, bytes });
    this.#initializers.push({ name, dims: [...dims], dataType, ...stored });
  }

  /** An int64 constant (shapes, axes), shared when the same values recur. */
  int64s(values: readonly number[]): string {
    const key = `i64:${values.join(",")}`;
    const existing = this.#constants.get(key);
    if (existing !== undefined) return existing;
    const name = this.initializer(this.#fresh("const_i64"), BigInt64Array.from(values, BigInt), [
      values.length,
    ]);
    this.#constants.set(key, name);
    return name;
  }

  /**
   * A float constant of the given dims (a scalar when dims is `[]`) in the graph's float type unless
   * `type` says otherwise, shared when it recurs.
   */
  floats(
    values: readonly number[],
    dims: readonly number[] = [values.length],
    type: FloatTypeName = this.#floatType,
  ): string {
    const prefix = type === "float" ? "f32" : "f16";
    const key = `${prefix}:${dims.join("x")}:${values.join(",")}`;
    const existing = this.#constants.get(key);
    if (existing !== undefined) return existing;
    const name = this.initializer(this.#fresh(`const_${prefix}`), Float32Array.from(values), dims, type);
    this.#constants.set(key, name);
    return name;
  }

  /** Add a node with one output and return that output's name. */
  node(
    opType: string,
    inputs: readonly string[],
    attributes: Record<string, AttributeValue> = {},
    output?: string,
    domain?: string,
  ): string {
    const names = output === undefined ? undefined : [output];
    const [out] = this.nodeMulti(opType, inputs, 1, attributes, names, domain);
    return out as string;
  }

  /**
   * Add a node with several outputs (e.g. Split) and return their names; an output named `""` is an
   * optional output left out, as ONNX writes it (SkipLayerNormalization's mean and inv_std_var).
   */
  nodeMulti(
    opType: string,
    inputs: readonly string[],
    outputCount: number,
    attributes: Record<string, AttributeValue> = {},
    outputNames?: readonly string[],
    domain?: string,
  ): string[] {
    if (domain !== undefined && !this.#domains.has(domain))
      throw new Error(`graph ${this.#name}: domain ${domain} used before importDomain`);
    const base = this.#fresh(opType);
    const outputs = outputNames ?? Array.from({ length: outputCount }, (_, i) => `${base}_out${i}`);
    for (const name of outputs) if (name !== "") this.#claim(name);
    this.#nodes.push({
      name: base,
      opType,
      input: [...inputs],
      output: [...outputs],
      attribute: Object.entries(attributes).map(([name, value]) => attribute(name, value)),
      ...(domain === undefined ? {} : { domain }),
    });
    return [...outputs];
  }

  /** The model as ONNX protobuf bytes; the same graph always encodes to the same bytes. */
  encode(): Uint8Array {
    const model: onnx.onnx.IModelProto = {
      irVersion: IR_VERSION,
      opsetImport: [...this.#domains].map(([domain, version]) => ({ domain, version })),
      producerName: "sdgate-model-builder",
      ...(this.#metadata.size === 0
        ? {}
        : { metadataProps: [...this.#metadata].map(([key, value]) => ({ key, value })) }),
      graph: {
        name: this.#name,
        node: this.#nodes,
        input: this.#inputs,
        output: this.#outputs,
        initializer: this.#initializers,
      },
    };
    return onnx.onnx.ModelProto.encode(model).finish();
  }

  #fresh(prefix: string): string {
    let name: string;
    do name = `${prefix}_${this.#counter++}`;
    while (this.#names.has(name));
    return name;
  }

  #claim(name: string): void {
    if (this.#names.has(name)) throw new Error(`graph ${this.#name}: value name ${name} used twice`);
    this.#names.add(name);
  }
}

function valueInfo(name: string, type: DataTypeName, dims: readonly Dim[]): onnx.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: DataType[type],
        shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, value: AttributeValue): onnx.onnx.IAttributeProto {
  if (typeof value === "string")
    return { name, type: AttributeType.string, s: new TextEncoder().encode(value) };
  if (typeof value === "number") {
    if (!Number.isInteger(value))
      throw new Error(`attribute ${name}: ${value} is not an integer; use float()`);
    return { name, type: AttributeType.int, i: value };
  }
  if ("float" in value) return { name, type: AttributeType.float, f: value.float };
  return { name, type: AttributeType.ints, ints: [...value] };
}

function dataTypeOf(data: InitializerData): number {
  if (data instanceof Float32Array) return DataType.float;
  if (data instanceof Int32Array) return DataType.int32;
  return DataType.int64;
}

function tensorBytes(data: InitializerData, dataType: number): Uint8Array {
  if (dataType === DataType.float16) {
    if (!(data instanceof Float32Array)) throw new Error("only float data converts to float16");
    return float16Bytes(data);
  }
  return littleEndianBytes(data);
}

/** ONNX raw data is little-endian whatever the host's byte order. */
function littleEndianBytes(data: InitializerData): Uint8Array {
  const bytes = new Uint8Array(data.length * data.BYTES_PER_ELEMENT);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < data.length; i++) {
    if (data instanceof Float32Array) view.setFloat32(i * 4, data[i] as number, true);
    else if (data instanceof Int32Array) view.setInt32(i * 4, data[i] as number, true);
    else view.setBigInt64(i * 8, data[i] as bigint, true);
  }
  return bytes;
}
