import { type FileHandle, open, stat } from "node:fs/promises";
import { dirname, join, normalize, relative } from "node:path";
import onnx from "onnx-proto";
import { ModelLoadError } from "../errors.ts";

/**
 * ONNX files over 2 GB keep their weights beside them (`model.onnx_data`, or whatever `location` each
 * initializer names; onnx's `external_data_helper.py`). onnxruntime then fails with an opaque message
 * when one is missing, so the pipeline checks them first and names the missing file.
 *
 * The model file is walked with positioned reads: protobuf fields are skipped by their length, and
 * only the small `TensorProto` headers of initializers are decoded (with onnx-proto), so a 1.7 GB
 * single-file UNet is not read into memory to find out it has no external data.
 */

/** `ModelProto.graph`, `GraphProto.initializer`, `TensorProto.data_location` (onnx.proto3). */
const MODEL_GRAPH_FIELD = 7;
const GRAPH_INITIALIZER_FIELD = 5;
const EXTERNAL_DATA_LOCATION = 1;
/** Initializers with inline weights are larger than this and cannot point at external data. */
const MAX_HEADER_BYTES = 1 << 20;
const CHUNK_BYTES = 1 << 16;

export interface ExternalDataReference {
  /** As written in the model, relative to the model's folder. */
  location: string;
  /** Bytes the file must have: the largest `offset + length` referenced (0 when unknown). */
  minBytes: number;
  /** The first initializer stored there. */
  tensor: string;
}

/** The external weight files `modelPath` references, in order of first use. */
export async function listExternalData(modelPath: string): Promise<ExternalDataReference[]> {
  const handle = await open(modelPath, "r");
  try {
    const size = (await handle.stat()).size;
    const cursor = new FileCursor(handle);
    const found = new Map<string, ExternalDataReference>();
    for await (const graph of fields(cursor, 0, size, MODEL_GRAPH_FIELD)) {
      for await (const tensor of fields(cursor, graph.start, graph.end, GRAPH_INITIALIZER_FIELD)) {
        if (tensor.end - tensor.start > MAX_HEADER_BYTES) continue;
        const proto = onnx.onnx.TensorProto.decode(
          await cursor.read(tensor.start, tensor.end - tensor.start),
        );
        const entries = proto.externalData ?? [];
        if (proto.dataLocation !== EXTERNAL_DATA_LOCATION && entries.length === 0) continue;
        const info = new Map(entries.map((e) => [e.key ?? "", e.value ?? ""]));
        const location = info.get("location");
        if (location === undefined || location === "") {
          throw new ModelLoadError(`${modelPath}: ${proto.name}`, "external data without a `location`");
        }
        const end = Number(info.get("offset") ?? 0) + Number(info.get("length") ?? 0);
        const known = found.get(location);
        if (known === undefined) found.set(location, { location, minBytes: end, tensor: proto.name ?? "" });
        else known.minBytes = Math.max(known.minBytes, end);
      }
    }
    return [...found.values()];
  } finally {
    await handle.close();
  }
}

/**
 * Check that every external weight file of `modelPath` is there and long enough; a missing one is a
 * `ModelLoadError` naming it relative to the model folder (e.g. `unet/model.onnx_data`). Returns the
 * files' absolute paths.
 */
export async function checkExternalData(
  modelPath: string,
  modelFile: string,
  modelDir: string,
): Promise<string[]> {
  const references = await listExternalData(modelPath);
  const paths: string[] = [];
  for (const { location, minBytes, tensor } of references) {
    const path = normalize(join(dirname(modelPath), location));
    const shown = relative(modelDir, path) || location;
    let bytes: number;
    try {
      bytes = (await stat(path)).size;
    } catch (error) {
      throw new ModelLoadError(
        shown,
        `external weights file missing (${modelFile} keeps tensor ${tensor} there)`,
        { cause: error },
      );
    }
    if (bytes < minBytes) {
      throw new ModelLoadError(
        shown,
        `external weights file has ${bytes} bytes, ${modelFile} needs ${minBytes}`,
      );
    }
    paths.push(path);
  }
  return paths;
}

interface FieldRange {
  start: number;
  end: number;
}

/** The length-delimited occurrences of field `wanted` in the message at [start, end). */
async function* fields(cursor: FileCursor, start: number, end: number, wanted: number) {
  let position = start;
  while (position < end) {
    const tag = await cursor.varint(position);
    position = tag.next;
    const field = Math.floor(tag.value / 8);
    const wireType = tag.value % 8;
    switch (wireType) {
      case 0:
        position = (await cursor.varint(position)).next;
        break;
      case 1:
        position += 8;
        break;
      case 5:
        position += 4;
        break;
      case 2: {
        const length = await cursor.varint(position);
        const range: FieldRange = { start: length.next, end: length.next + length.value };
        if (range.end > end) throw new Error(`truncated protobuf field ${field} at byte ${position}`);
        if (field === wanted) yield range;
        position = range.end;
        break;
      }
      default:
        throw new Error(`unsupported protobuf wire type ${wireType} at byte ${position}`);
    }
  }
}

/** Positioned reads through a small window, so skipping a field costs nothing. */
class FileCursor {
  readonly #handle: FileHandle;
  #window: Uint8Array = new Uint8Array(0);
  #windowStart = 0;

  constructor(handle: FileHandle) {
    this.#handle = handle;
  }

  async #byteAt(position: number): Promise<number> {
    const offset = position - this.#windowStart;
    if (offset >= 0 && offset < this.#window.length) return this.#window[offset] as number;
    this.#window = await this.read(position, CHUNK_BYTES, true);
    this.#windowStart = position;
    if (this.#window.length === 0) throw new Error(`unexpected end of file at byte ${position}`);
    return this.#window[0] as number;
  }

  async varint(position: number): Promise<{ value: number; next: number }> {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const byte = await this.#byteAt(position + i);
      value += (byte & 0x7f) * scale;
      scale *= 128;
      if ((byte & 0x80) === 0) return { value, next: position + i + 1 };
    }
    throw new Error(`malformed varint at byte ${position}`);
  }

  async read(position: number, length: number, allowShort = false): Promise<Uint8Array> {
    const buffer = new Uint8Array(length);
    const { bytesRead } = await this.#handle.read(buffer, 0, length, position);
    if (bytesRead < length && !allowShort) throw new Error(`unexpected end of file at byte ${position}`);
    return buffer.subarray(0, bytesRead);
  }
}
