/**
 * The safetensors format (huggingface/safetensors, README "Format"): an 8-byte little-endian header
 * length N, N bytes of JSON mapping each tensor name to `{ dtype, shape, data_offsets: [begin, end] }`
 * (offsets into the byte buffer after the header) plus an optional `__metadata__` of strings, then
 * the buffer. Tensors are read one at a time by their byte range, so a 3.4 GB UNet file is never
 * in memory whole.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { endianness } from "node:os";
import { fromFloat16Bits, toFloat16Bits } from "../model-builder/float16.ts";

/** Bytes per element of the dtypes the format defines; only the float ones can be read as weights. */
const DTYPE_BYTES: Readonly<Record<string, number>> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  I64: 8,
  U64: 8,
  F64: 8,
};

export type FloatDtypeName = "F32" | "F16" | "BF16";
const FLOAT_DTYPES: readonly string[] = ["F32", "F16", "BF16"];

/** The safetensors reference implementation refuses headers over 100 MB. */
const MAX_HEADER_BYTES = 100_000_000;

export interface SafetensorsEntry {
  readonly dtype: string;
  readonly shape: readonly number[];
  /** Byte offset of the tensor's data in the file (after the header). */
  readonly fileOffset: number;
  readonly byteLength: number;
}

/**
 * A safetensors file opened for reading by tensor: the header is parsed and checked when it opens,
 * each `read` fetches one tensor's bytes. Call `close` when done.
 *
 * @example
 * const file = SafetensorsFile.open("unet/diffusion_pytorch_model.safetensors");
 * try { const w = file.read("conv_in.weight"); } finally { file.close(); }
 */
export class SafetensorsFile {
  readonly path: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly #entries: ReadonlyMap<string, SafetensorsEntry>;
  #fd: number | undefined;

  private constructor(
    path: string,
    fd: number,
    entries: Map<string, SafetensorsEntry>,
    metadata: Record<string, string>,
  ) {
    this.path = path;
    this.#fd = fd;
    this.#entries = entries;
    this.metadata = metadata;
  }

  static open(path: string): SafetensorsFile {
    const fd = openSync(path, "r");
    try {
      const { entries, metadata } = parseHeader(path, fd, fstatSync(fd).size);
      return new SafetensorsFile(path, fd, entries, metadata);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  /** Tensor names in header order. */
  get names(): string[] {
    return [...this.#entries.keys()];
  }

  entry(name: string): SafetensorsEntry | undefined {
    return this.#entries.get(name);
  }

  /** The tensor `name` as float32 values (F32, F16 and BF16 are converted exactly). */
  read(name: string): Float32Array {
    const entry = this.#entries.get(name);
    if (entry === undefined) throw new Error(`${this.path}: no tensor ${name}`);
    if (!FLOAT_DTYPES.includes(entry.dtype))
      throw new Error(
        `${this.path}: tensor ${name} has dtype ${entry.dtype}; only ${FLOAT_DTYPES.join(", ")} can be read as weights`,
      );
    const bytes = this.#readBytes(name, entry);
    const count = bytes.length / (DTYPE_BYTES[entry.dtype] as number);
    if (entry.dtype === "F32") return new Float32Array(bytes.buffer, bytes.byteOffset, count);
    const halves = new Uint16Array(bytes.buffer, bytes.byteOffset, count);
    const out = new Float32Array(count);
    if (entry.dtype === "F16") {
      for (let i = 0; i < count; i++) out[i] = fromFloat16Bits(halves[i] as number);
    } else {
      // bfloat16 is the top half of a float32.
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) bits[i] = (halves[i] as number) << 16;
    }
    return out;
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  #readBytes(name: string, entry: SafetensorsEntry): Uint8Array {
    if (this.#fd === undefined) throw new Error(`${this.path}: read ${name} after close`);
    // A fresh ArrayBuffer is aligned for the typed-array views above.
    const bytes = new Uint8Array(entry.byteLength);
    let done = 0;
    while (done < bytes.length) {
      const n = readSync(this.#fd, bytes, done, bytes.length - done, entry.fileOffset + done);
      if (n === 0) throw new Error(`${this.path}: tensor ${name} is truncated (file ended while reading it)`);
      done += n;
    }
    return bytes;
  }
}

function parseHeader(
  path: string,
  fd: number,
  fileBytes: number,
): { entries: Map<string, SafetensorsEntry>; metadata: Record<string, string> } {
  if (endianness() !== "LE") throw new Error("safetensors: reading needs a little-endian host");
  if (fileBytes < 8)
    throw new Error(`${path}: truncated: ${fileBytes} bytes, too short for a safetensors header`);
  const prefix = new Uint8Array(8);
  readSync(fd, prefix, 0, 8, 0);
  const headerBytes = Number(new DataView(prefix.buffer).getBigUint64(0, true));
  if (headerBytes > MAX_HEADER_BYTES)
    throw new Error(`${path}: bad header: length ${headerBytes} is over 100 MB`);
  if (8 + headerBytes > fileBytes)
    throw new Error(`${path}: truncated: header of ${headerBytes} bytes, file of ${fileBytes}`);
  const headerBuffer = new Uint8Array(headerBytes);
  readSync(fd, headerBuffer, 0, headerBytes, 8);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(headerBuffer));
  } catch (error) {
    throw new Error(`${path}: bad header: not UTF-8 JSON (${(error as Error).message})`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header))
    throw new Error(`${path}: bad header: not a JSON object`);
  const dataStart = 8 + headerBytes;
  const dataBytes = fileBytes - dataStart;
  const entries = new Map<string, SafetensorsEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(header)) {
    if (name === "__metadata__") {
      metadata = value as Record<string, string>;
      continue;
    }
    const bad = (why: string) => new Error(`${path}: bad header: tensor ${name}: ${why}`);
    const { dtype, shape, data_offsets: offsets } = (value ?? {}) as Record<string, unknown>;
    if (typeof dtype !== "string") throw bad("no dtype");
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      throw bad(`shape ${JSON.stringify(shape)} is not a list of sizes`);
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)
    )
      throw bad(`data_offsets ${JSON.stringify(offsets)} is not [begin, end]`);
    const [begin, end] = offsets as [number, number];
    if (begin > end || end > dataBytes)
      throw new Error(
        `${path}: tensor ${name}: data_offsets [${begin}, ${end}] out of range of the ${dataBytes}-byte data${end > dataBytes ? " (truncated file?)" : ""}`,
      );
    const size = DTYPE_BYTES[dtype];
    if (size === undefined) throw bad(`unknown dtype ${dtype}`);
    const elements = (shape as number[]).reduce((a, b) => a * b, 1);
    if (elements * size !== end - begin)
      throw bad(`${end - begin} bytes for ${dtype} [${shape.join(", ")}] (${elements * size} expected)`);
    entries.set(name, {
      dtype,
      shape: shape as number[],
      fileOffset: dataStart + begin,
      byteLength: end - begin,
    });
  }
  return { entries, metadata };
}

export interface SafetensorsTensor {
  name: string;
  dtype: FloatDtypeName;
  shape: readonly number[];
  values: Float32Array;
}

/**
 * A safetensors file's bytes for `tensors` (float32 values stored as their dtype; F16 rounds to
 * nearest even, BF16 truncates), header padded to 8 bytes as the reference writer pads it.
 */
export function encodeSafetensors(
  tensors: readonly SafetensorsTensor[],
  metadata?: Record<string, string>,
): Uint8Array {
  const header: Record<string, unknown> = metadata === undefined ? {} : { __metadata__: metadata };
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const { name, dtype, shape, values } of tensors) {
    const bytes = encodeValues(values, dtype);
    header[name] = { dtype, shape, data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

function encodeValues(values: Float32Array, dtype: FloatDtypeName): Uint8Array {
  if (dtype === "F32") return new Uint8Array(Float32Array.from(values).buffer);
  if (dtype === "F16") return new Uint8Array(Uint16Array.from(values, (v) => toFloat16Bits(v)).buffer);
  const bits = new Uint32Array(Float32Array.from(values).buffer);
  return new Uint8Array(Uint16Array.from(bits, (b) => b >>> 16).buffer);
}
