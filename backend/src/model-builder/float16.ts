/**
 * fp16 weights for the builder. The conversion itself is the engine's (engine/models/fp16.ts:
 * round to nearest even, as torch's `.half()`), so models are built and read with the same rounding.
 */
import { float16BitsToFloat32, float32ToFloat16Bits } from "../engine/models/fp16.ts";

export { float16BitsToFloat32 as fromFloat16Bits, float32ToFloat16Bits as toFloat16Bits };

/** Little-endian binary16 bytes of `values`, as ONNX raw data stores float16 tensors. */
export function float16Bytes(values: Float32Array): Uint8Array {
  const bytes = new Uint8Array(values.length * 2);
  for (let i = 0; i < values.length; i++) {
    const half = float32ToFloat16Bits(values[i] as number);
    bytes[2 * i] = half & 0xff;
    bytes[2 * i + 1] = half >>> 8;
  }
  return bytes;
}
