import { open } from "node:fs/promises";
import { dirname, join } from "node:path";
import type onnx from "onnx-proto";
import { ModelLoadError } from "../errors.ts";
import { fromFloat16 } from "./fp16.ts";
import { EXTERNAL_DATA_LOCATION, FileCursor, smallInitializers } from "./onnx-file-walk.ts";

/** `TensorProto.DataType`: the two float types weights come in. */
const FLOAT = 1;
const FLOAT16 = 10;

/**
 * The values of the small float initializers of `modelPath` whose names `wanted` accepts (a
 * LayerNorm's weight and bias, say), inline or in external data. Initializers over a mebibyte are
 * skipped unread, so this costs milliseconds on a model of gigabytes.
 *
 * @example
 * const norm = await readSmallInitializers("text_encoder/model.onnx", (name) => name.endsWith("final_layer_norm.weight"));
 */
export async function readSmallInitializers(
  modelPath: string,
  wanted: (name: string) => boolean,
): Promise<Map<string, Float32Array>> {
  const handle = await open(modelPath, "r");
  const found = new Map<string, Float32Array>();
  try {
    const size = (await handle.stat()).size;
    const cursor = new FileCursor(handle);
    for await (const tensor of smallInitializers(cursor, size)) {
      const name = tensor.name ?? "";
      if (wanted(name)) found.set(name, await valuesOf(tensor, modelPath));
    }
  } finally {
    await handle.close();
  }
  return found;
}

async function valuesOf(tensor: onnx.onnx.ITensorProto, modelPath: string): Promise<Float32Array> {
  const count = (tensor.dims ?? []).reduce<number>((n, d) => n * Number(d), 1);
  const where = `${modelPath}: ${tensor.name}`;
  if (tensor.dataType !== FLOAT && tensor.dataType !== FLOAT16)
    throw new ModelLoadError(where, `has data type ${tensor.dataType}; expected float or float16`);
  const bytes = await rawBytes(tensor, modelPath, count * (tensor.dataType === FLOAT ? 4 : 2));
  if (bytes !== undefined) {
    const copy = Uint8Array.from(bytes); // aligned, whatever offset the bytes came at
    return tensor.dataType === FLOAT
      ? new Float32Array(copy.buffer, 0, count)
      : fromFloat16(new Uint16Array(copy.buffer, 0, count));
  }
  if (tensor.dataType === FLOAT && (tensor.floatData?.length ?? 0) === count)
    return Float32Array.from(tensor.floatData ?? []);
  // float16 without raw_data: each value's bits in int32_data (onnx.proto)
  if (tensor.dataType === FLOAT16 && (tensor.int32Data?.length ?? 0) === count)
    return fromFloat16(Uint16Array.from(tensor.int32Data ?? []));
  throw new ModelLoadError(where, `holds no readable data for ${count} values`);
}

/** The tensor's bytes from `raw_data` or its external file, or undefined when it uses typed fields. */
async function rawBytes(
  tensor: onnx.onnx.ITensorProto,
  modelPath: string,
  byteLength: number,
): Promise<Uint8Array | undefined> {
  const external = new Map((tensor.externalData ?? []).map((e) => [e.key ?? "", e.value ?? ""]));
  if (tensor.dataLocation === EXTERNAL_DATA_LOCATION || external.size > 0) {
    const location = external.get("location");
    if (location === undefined)
      throw new ModelLoadError(`${modelPath}: ${tensor.name}`, "external data without a `location`");
    const offset = Number(external.get("offset") ?? 0);
    const length = Number(external.get("length") ?? byteLength);
    const file = await open(join(dirname(modelPath), location), "r");
    try {
      const buffer = new Uint8Array(length);
      const { bytesRead } = await file.read(buffer, 0, length, offset);
      if (bytesRead < length)
        throw new ModelLoadError(
          `${modelPath}: ${tensor.name}`,
          `external data ends before byte ${offset + length}`,
        );
      return buffer;
    } finally {
      await file.close();
    }
  }
  return tensor.rawData && tensor.rawData.length > 0 ? tensor.rawData : undefined;
}
