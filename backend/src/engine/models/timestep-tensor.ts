import { Tensor } from "onnxruntime-node";
import { floatTensor, type TensorMetadata } from "./onnx-session.ts";

/** The timestep input types a UNet or ControlNet export may declare. */
export const TIMESTEP_TYPES = ["float32", "float16", "int64", "int32"];

/**
 * The timestep as the export declares it: shaped `[]`, `[1]` or `[batch]`, float or int. An integer
 * timestep input gets `np.array([t], dtype=int64)` in diffusers' and optimum's ONNX pipelines:
 * truncated, so linspace's 499.5 is 499.
 */
export function timestepTensor(meta: TensorMetadata, timestep: number, batch: number): Tensor {
  const declared = meta.shape;
  const dims = declared.length === 0 ? [] : declared[0] === 1 ? [1] : [batch];
  const count = dims.length === 0 ? 1 : (dims[0] as number);
  switch (meta.type) {
    case "int64":
      return new Tensor("int64", new BigInt64Array(count).fill(BigInt(Math.trunc(timestep))), dims);
    case "int32":
      return new Tensor("int32", new Int32Array(count).fill(Math.trunc(timestep)), dims);
    default:
      return floatTensor(meta, new Float32Array(count).fill(timestep), dims);
  }
}
