import { GraphBuilder } from "../../model-builder/graph.ts";
import type { ElementArrays, ElementType } from "../../native-ort/element-type.ts";
import { NativeSession } from "../../native-ort/session.ts";
import { type NativeSessionOptions, withoutCudaGraph } from "../../native-ort/session-options.ts";
import type { NativeTensor } from "../../native-ort/tensor.ts";
import { fromFloat16, toFloat16Bits } from "../models/fp16.ts";

/** The graph element type of each tensor type the loop moves. */
const GRAPH_TYPES = { float32: "float", float16: "float16", int64: "int64", int32: "int32" } as const;
type MovableType = keyof typeof GRAPH_TYPES;

/**
 * Moves values between the host and a session's device tensors. onnxruntime's C API has no plain
 * copy for the classic CUDA provider, so the copy is a run of an Identity graph on the same provider:
 * its input bound to the source, its output to the destination; onnxruntime copies across devices
 * where they differ. A host-side session's "device" tensors are host tensors: written directly.
 */
export class DeviceTransfer implements Disposable {
  readonly #model: NativeSession;
  readonly #options: NativeSessionOptions;
  /** One Identity session per element type and rank (`float16/4`). */
  readonly #identities = new Map<string, NativeSession>();

  /** `model`: the session whose device the tensors live on; `options`: the provider options it was made with. */
  constructor(model: NativeSession, options: NativeSessionOptions) {
    this.#model = model;
    this.#options = withoutCudaGraph(options);
  }

  /** Writes float values (converted to the tensor's float16 when it is one), or integers, to `target`. */
  upload(target: NativeTensor, values: Float32Array | BigInt64Array | Int32Array): void {
    const converted =
      target.type === "float16" && values instanceof Float32Array ? toFloat16Bits(values) : values;
    if (target.onHost) {
      target.write(converted);
      return;
    }
    using staging = this.#model.runtime.hostTensor(
      target.type,
      target.dims,
      converted as ElementArrays[ElementType],
    );
    this.#copy(staging, target);
  }

  /** The tensor's values on the host, float16 widened to float32. */
  downloadFloats(source: NativeTensor): Float32Array {
    const host = (tensor: NativeTensor) =>
      tensor.type === "float16" ? fromFloat16(tensor.read("float16")) : tensor.read("float32");
    if (source.onHost) return host(source);
    using staging = this.#model.runtime.hostTensor(source.type, source.dims);
    this.#copy(source, staging);
    return host(staging);
  }

  release(): void {
    for (const session of this.#identities.values()) session.release();
    this.#identities.clear();
  }

  [Symbol.dispose](): void {
    this.release();
  }

  #copy(source: NativeTensor, target: NativeTensor): void {
    const type = source.type as MovableType;
    if (!(type in GRAPH_TYPES)) throw new Error(`cannot move ${type} tensors`);
    const key = `${type}/${source.dims.length}`;
    let identity = this.#identities.get(key);
    if (identity === undefined) {
      identity = NativeSession.create(
        this.#model.runtime,
        identityModel(type, source.dims.length),
        this.#options,
      );
      this.#identities.set(key, identity);
    }
    using binding = identity.bind().bindInput("x", source).bindOutput("y", target);
    binding.run();
    binding.synchronizeOutputs();
  }
}

function identityModel(type: MovableType, rank: number): Uint8Array {
  const g = new GraphBuilder(`copy_${type}_${rank}`);
  const dims = Array.from({ length: rank }, (_, axis) => `d${axis}`);
  const x = g.input("x", GRAPH_TYPES[type], dims);
  g.output(g.node("Identity", [x]), GRAPH_TYPES[type], dims, "y");
  return g.encode();
}
