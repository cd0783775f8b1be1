import type onnx from "onnx-proto";

/** What a graph hands its sink for each initializer. */
export interface TensorRecord {
  readonly name: string;
  readonly dims: readonly number[];
  readonly dataType: number;
  readonly byteLength: number;
  /** Learnt weights are parameters; shapes, axes, masks and norm constants are not. */
  readonly kind: "parameter" | "constant";
  /** The little-endian bytes, made only when a sink asks: a counting sink never does. */
  readonly bytes: () => Uint8Array;
}

/** Where a graph's initializer data goes; returns the TensorProto fields that point at it. */
export interface TensorSink {
  store(tensor: TensorRecord): Partial<onnx.onnx.ITensorProto>;
}

/** Every tensor's bytes inside the model file, as small exports have them. */
export const inlineSink: TensorSink = {
  store: (tensor) => ({ rawData: tensor.bytes() }),
};

/**
 * Counts parameters without making any weight: how the full-size networks are checked against the
 * real models' parameter counts in milliseconds.
 */
export class CountingSink implements TensorSink {
  parameters = 0;
  parameterBytes = 0;
  parameterTensors = 0;

  store(tensor: TensorRecord): Partial<onnx.onnx.ITensorProto> {
    if (tensor.kind === "parameter") {
      this.parameters += tensor.dims.reduce((a, b) => a * b, 1);
      this.parameterBytes += tensor.byteLength;
      this.parameterTensors++;
    }
    return {};
  }
}

export interface ExternalDataOptions {
  /** The data file's name beside `model.onnx`, as `location` records it. */
  location: string;
  /** Receives the data file's bytes in order; called once per external tensor. */
  write: (chunk: Uint8Array) => void;
  /** Tensors smaller than this stay inline; onnx's `save_model(size_threshold=1024)` default. */
  thresholdBytes?: number;
}

const EXTERNAL = 1; // TensorProto.DataLocation.EXTERNAL

/**
 * ONNX external data (onnx/onnx docs/ExternalData.md): each large tensor's bytes are appended to one
 * file and the TensorProto records `location`, `offset` and `length`, with `data_location: EXTERNAL`.
 * Bytes go to `write` as each tensor is made, so a model never has to fit in memory.
 */
export class ExternalDataSink implements TensorSink {
  readonly #options: ExternalDataOptions;
  #offset = 0;

  constructor(options: ExternalDataOptions) {
    this.#options = options;
  }

  /** Bytes written to the data file so far. */
  get bytesWritten(): number {
    return this.#offset;
  }

  store(tensor: TensorRecord): Partial<onnx.onnx.ITensorProto> {
    if (tensor.byteLength < (this.#options.thresholdBytes ?? 1024)) return { rawData: tensor.bytes() };
    const bytes = tensor.bytes();
    if (bytes.length !== tensor.byteLength)
      throw new Error(`tensor ${tensor.name}: ${bytes.length} bytes made, ${tensor.byteLength} declared`);
    const offset = this.#offset;
    this.#options.write(bytes);
    this.#offset += bytes.length;
    return {
      dataLocation: EXTERNAL,
      externalData: [
        { key: "location", value: this.#options.location },
        { key: "offset", value: String(offset) },
        { key: "length", value: String(bytes.length) },
      ],
    };
  }
}
