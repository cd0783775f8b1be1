import onnx from "onnx-proto";

/** ONNX element types the builder writes (TensorProto.DataType). */
export const DataType = { float: 1, int32: 6, int64: 7 } as const;
export type DataTypeName = keyof typeof DataType;

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
  #counter = 0;

  constructor(name: string) {
    this.#name = name;
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

  /** A named weight stored in the model (little-endian raw data). */
  initializer(name: string, data: InitializerData, dims: readonly number[]): string {
    const count = dims.reduce((a, b) => a * b, 1);
    if (count !== data.length)
      throw new Error(`initializer ${name}: ${data.length} values for dims [${dims}]`);
    this.#claim(name);
    this.#initializers.push({
      name,
      dims: [...dims],
      dataType: dataTypeOf(data),
      rawData: littleEndianBytes(data),
    });
    return name;
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

  /** A float constant of the given dims (a scalar when dims is `[]`), shared when it recurs. */
  floats(values: readonly number[], dims: readonly number[] = [values.length]): string {
    const key = `f32:${dims.join("x")}:${values.join(",")}`;
    const existing = this.#constants.get(key);
    if (existing !== undefined) return existing;
    const name = this.initializer(this.#fresh("const_f32"), Float32Array.from(values), dims);
    this.#constants.set(key, name);
    return name;
  }

  /** Add a node with one output and return that output's name. */
  node(
    opType: string,
    inputs: readonly string[],
    attributes: Record<string, AttributeValue> = {},
    output?: string,
  ): string {
    const [out] = this.nodeMulti(opType, inputs, 1, attributes, output === undefined ? undefined : [output]);
    return out as string;
  }

  /** Add a node with several outputs (e.g. Split) and return their names. */
  nodeMulti(
    opType: string,
    inputs: readonly string[],
    outputCount: number,
    attributes: Record<string, AttributeValue> = {},
    outputNames?: readonly string[],
  ): string[] {
    const base = this.#fresh(opType);
    const outputs = outputNames ?? Array.from({ length: outputCount }, (_, i) => `${base}_out${i}`);
    for (const name of outputs) this.#claim(name);
    this.#nodes.push({
      name: base,
      opType,
      input: [...inputs],
      output: [...outputs],
      attribute: Object.entries(attributes).map(([name, value]) => attribute(name, value)),
    });
    return [...outputs];
  }

  /** The model as ONNX protobuf bytes; the same graph always encodes to the same bytes. */
  encode(): Uint8Array {
    const model: onnx.onnx.IModelProto = {
      irVersion: IR_VERSION,
      opsetImport: [{ domain: "", version: OPSET_VERSION }],
      producerName: "sdgate-model-builder",
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
