import {
  ELEMENT_TYPES,
  type ElementArrays,
  type ElementType,
  elementCount,
  elementTypeOf,
} from "./element-type.ts";
import { copyFromNative, copyToNative } from "./host-memory.ts";
import { NativeHandle } from "./native-handle.ts";
import type { OrtApi } from "./ort-api.ts";
import { call, callOut } from "./status.ts";

/** Where a tensor's memory is: the host, or a device (`Cuda`, device 0). */
export interface TensorLocation {
  readonly device: string;
  readonly deviceId: number;
}

/**
 * An onnxruntime `OrtValue` holding a dense tensor, in memory onnxruntime allocated: on the host, its
 * elements can be read and written in place through `data()`; on a device they stay there (a run bound
 * to them reads and writes them without a copy through the host).
 */
export class NativeTensor implements Disposable {
  readonly handle: NativeHandle;
  readonly type: ElementType;
  readonly dims: readonly number[];
  readonly location: TensorLocation;
  readonly #api: OrtApi;

  constructor(api: OrtApi, pointer: unknown, location: TensorLocation) {
    this.#api = api;
    this.handle = new NativeHandle(api, "OrtValue", "ReleaseValue", pointer);
    const info = callOut(api, "GetTensorTypeAndShape", pointer);
    try {
      const onnxType = callOut<number>(api, "GetTensorElementType", info);
      const type = elementTypeOf(onnxType);
      if (type === undefined) throw new Error(`tensor element type ${onnxType} is not one the binding reads`);
      const rank = Number(callOut(api, "GetDimensionsCount", info));
      const dims = new BigInt64Array(rank);
      call(api, "GetDimensions", info, dims, rank);
      this.type = type;
      this.dims = Array.from(dims, Number);
    } catch (error) {
      this.handle.release();
      throw error;
    } finally {
      api.fn.ReleaseTensorTypeAndShapeInfo(info);
    }
    this.location = location;
  }

  get size(): number {
    return elementCount(this.dims);
  }

  get byteLength(): number {
    return this.size * ELEMENT_TYPES[this.type].bytes;
  }

  get onHost(): boolean {
    return this.location.device === "Cpu";
  }

  /** A copy of the elements, which must be of type `expected` (host tensors only). */
  read<T extends ElementType>(expected: T): ElementArrays[T] {
    if (expected !== this.type) throw new Error(`the tensor holds ${this.type}, not ${expected}`);
    const values = new ELEMENT_TYPES[this.type].array(this.size);
    copyFromNative(values, this.#hostPointer());
    return values as ElementArrays[T];
  }

  /** Overwrites the elements with `values`, as many as the tensor holds (host tensors only). */
  write(values: ElementArrays[ElementType]): void {
    if (values.length !== this.size) {
      throw new Error(`${values.length} values given for a tensor of shape [${this.dims.join(", ")}]`);
    }
    if (!(values instanceof ELEMENT_TYPES[this.type].array)) {
      throw new Error(`a ${this.type} tensor is written from a ${ELEMENT_TYPES[this.type].array.name}`);
    }
    copyToNative(this.#hostPointer(), values);
  }

  #hostPointer(): unknown {
    if (!this.onHost) {
      throw new Error(
        `a ${this.location.device} tensor cannot be read or written on the host: copy it through a host tensor`,
      );
    }
    return callOut(this.#api, "GetTensorMutableData", this.handle.pointer);
  }

  release(): void {
    this.handle.release();
  }

  [Symbol.dispose](): void {
    this.release();
  }
}

/** A tensor of `type` and `dims` from `allocator` (a session's device allocator or the host's). */
export function allocateTensor(
  api: OrtApi,
  allocator: unknown,
  type: ElementType,
  dims: readonly number[],
  location: TensorLocation,
): NativeTensor {
  if (dims.some((dim) => !Number.isSafeInteger(dim) || dim < 0)) {
    throw new Error(`tensor dims must be non-negative integers, got [${dims.join(", ")}]`);
  }
  const shape = BigInt64Array.from(dims, BigInt);
  const pointer = callOut(
    api,
    "CreateTensorAsOrtValue",
    allocator,
    shape,
    dims.length,
    ELEMENT_TYPES[type].onnx,
  );
  return new NativeTensor(api, pointer, location);
}
