/**
 * Walking an ONNX file's protobuf with positioned reads: fields are skipped by their length, so the
 * graph's small parts (initializer headers, a LayerNorm's weights) can be found in a model of
 * gigabytes without reading it into memory.
 */
import type { FileHandle } from "node:fs/promises";
import onnx from "onnx-proto";

/** `ModelProto.graph`, `GraphProto.initializer`, `TensorProto.data_location` (onnx.proto3). */
export const MODEL_GRAPH_FIELD = 7;
export const GRAPH_INITIALIZER_FIELD = 5;
export const EXTERNAL_DATA_LOCATION = 1;
/** Initializers with inline weights are larger than this and cannot point at external data. */
export const MAX_HEADER_BYTES = 1 << 20;
const CHUNK_BYTES = 1 << 16;

interface FieldRange {
  start: number;
  end: number;
}

/** The length-delimited occurrences of field `wanted` in the message at [start, end). */
export async function* fields(cursor: FileCursor, start: number, end: number, wanted: number) {
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
export class FileCursor {
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

/**
 * The graph's initializers of at most {@link MAX_HEADER_BYTES}, decoded: every one that points at
 * external data, and the small inline ones (norms, biases); large inline weights are skipped unread.
 */
export async function* smallInitializers(
  cursor: FileCursor,
  size: number,
): AsyncGenerator<onnx.onnx.TensorProto> {
  for await (const graph of fields(cursor, 0, size, MODEL_GRAPH_FIELD)) {
    for await (const tensor of fields(cursor, graph.start, graph.end, GRAPH_INITIALIZER_FIELD)) {
      if (tensor.end - tensor.start > MAX_HEADER_BYTES) continue;
      yield onnx.onnx.TensorProto.decode(await cursor.read(tensor.start, tensor.end - tensor.start));
    }
  }
}
