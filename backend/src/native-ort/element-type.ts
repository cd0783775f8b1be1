/** Tensor element types the binding handles, with ONNX's `TensorProto.DataType` numbers. */
export const ELEMENT_TYPES = {
  float32: { onnx: 1, bytes: 4, array: Float32Array },
  uint8: { onnx: 2, bytes: 1, array: Uint8Array },
  int8: { onnx: 3, bytes: 1, array: Int8Array },
  int32: { onnx: 6, bytes: 4, array: Int32Array },
  int64: { onnx: 7, bytes: 8, array: BigInt64Array },
  bool: { onnx: 9, bytes: 1, array: Uint8Array },
  /** Raw IEEE half-precision bits. */
  float16: { onnx: 10, bytes: 2, array: Uint16Array },
} as const;

export type ElementType = keyof typeof ELEMENT_TYPES;

/** The typed array a tensor of each element type reads as. */
export interface ElementArrays {
  float32: Float32Array;
  uint8: Uint8Array;
  int8: Int8Array;
  int32: Int32Array;
  int64: BigInt64Array;
  bool: Uint8Array;
  float16: Uint16Array;
}

export type TensorArray = ElementArrays[ElementType];

/** The element type with ONNX number `onnx`, or undefined for one the binding does not handle. */
export function elementTypeOf(onnx: number): ElementType | undefined {
  return (Object.keys(ELEMENT_TYPES) as ElementType[]).find((type) => ELEMENT_TYPES[type].onnx === onnx);
}

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((product, dim) => product * dim, 1);
}
