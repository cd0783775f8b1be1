import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { encodeSafetensors, SafetensorsFile } from "./safetensors.ts";

const dir = mkdtempSync(join(tmpdir(), "sdgate-safetensors-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function write(bytes: Uint8Array): string {
  const path = join(dir, `file-${files++}.safetensors`);
  writeFileSync(path, bytes);
  return path;
}

/** A file from a literal header object and data bytes, for headers the encoder would never write. */
function raw(header: unknown, data: Uint8Array = new Uint8Array()): string {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return write(out);
}

function withFile<T>(path: string, use: (file: SafetensorsFile) => T): T {
  const file = SafetensorsFile.open(path);
  try {
    return use(file);
  } finally {
    file.close();
  }
}

describe("safetensors reader", () => {
  const values = Float32Array.from([1, -2.5, 0.1, 65504, 1e-8, 3]);

  it("reads F32 exactly, F16 and BF16 as their rounded values, with shapes and metadata", () => {
    const path = write(
      encodeSafetensors(
        [
          { name: "a.weight", dtype: "F32", shape: [2, 3], values },
          { name: "b.weight", dtype: "F16", shape: [6], values },
          { name: "c.weight", dtype: "BF16", shape: [3, 2], values },
        ],
        { format: "pt" },
      ),
    );
    withFile(path, (file) => {
      expect(file.names).toEqual(["a.weight", "b.weight", "c.weight"]);
      expect(file.metadata).toEqual({ format: "pt" });
      expect(file.entry("c.weight")?.shape).toEqual([3, 2]);
      expect([...file.read("a.weight")]).toEqual([...values]);
      // fp16: 0.1 → 0.0999755859375, 1e-8 underflows to 0; 65504 is fp16's largest.
      expect([...file.read("b.weight")]).toEqual([1, -2.5, 0.0999755859375, 65504, 0, 3]);
      // bf16 keeps float32's exponent and 7 mantissa bits (truncated here).
      const bf16 = file.read("c.weight");
      expect([bf16[0], bf16[1], bf16[5]]).toEqual([1, -2.5, 3]);
      expect(Math.abs((bf16[2] as number) - 0.1)).toBeLessThan(0.1 / 128);
    });
  });

  it("reads one tensor's byte range at a time, so other tensors' bytes are never needed", () => {
    const bytes = encodeSafetensors([
      { name: "first", dtype: "F32", shape: [2], values: Float32Array.from([1, 2]) },
      { name: "second", dtype: "F32", shape: [2], values: Float32Array.from([3, 4]) },
    ]);
    // Corrupt `second`'s bytes: `first` still reads as written.
    bytes.fill(0xff, bytes.length - 8);
    withFile(write(bytes), (file) => {
      expect([...file.read("first")]).toEqual([1, 2]);
      expect(Number.isNaN(file.read("second")[0])).toBe(true);
    });
  });

  it("names the file for a truncated file or header", () => {
    const whole = encodeSafetensors([{ name: "w", dtype: "F32", shape: [4], values: new Float32Array(4) }]);
    const short = write(whole.subarray(0, 5));
    expect(() => SafetensorsFile.open(short)).toThrow(`${short}: truncated`);
    const cutHeader = write(whole.subarray(0, 20));
    expect(() => SafetensorsFile.open(cutHeader)).toThrow(`${cutHeader}: truncated: header of`);
    const cutData = write(whole.subarray(0, whole.length - 4));
    expect(() => SafetensorsFile.open(cutData)).toThrow(
      `${cutData}: tensor w: data_offsets [0, 16] out of range of the 12-byte data (truncated file?)`,
    );
  });

  it("names the file and tensor for a bad header, an unknown dtype or offsets out of range", () => {
    const notJson = raw("{not json");
    const garbage = write(new Uint8Array([9, 0, 0, 0, 0, 0, 0, 0, ...new TextEncoder().encode("{not json")]));
    expect(() => SafetensorsFile.open(garbage)).toThrow(`${garbage}: bad header: not UTF-8 JSON`);
    expect(() => SafetensorsFile.open(notJson)).toThrow(`${notJson}: bad header: not a JSON object`);
    const unknown = raw(
      { "x.weight": { dtype: "F12", shape: [1], data_offsets: [0, 2] } },
      new Uint8Array(2),
    );
    expect(() => SafetensorsFile.open(unknown)).toThrow(
      `${unknown}: bad header: tensor x.weight: unknown dtype F12`,
    );
    const past = raw({ "x.weight": { dtype: "F32", shape: [2], data_offsets: [4, 12] } }, new Uint8Array(8));
    expect(() => SafetensorsFile.open(past)).toThrow(
      `${past}: tensor x.weight: data_offsets [4, 12] out of range`,
    );
    const reversed = raw(
      { "x.weight": { dtype: "F32", shape: [0], data_offsets: [8, 4] } },
      new Uint8Array(8),
    );
    expect(() => SafetensorsFile.open(reversed)).toThrow("tensor x.weight: data_offsets [8, 4] out of range");
    const sizeMismatch = raw(
      { "x.weight": { dtype: "F16", shape: [3], data_offsets: [0, 8] } },
      new Uint8Array(8),
    );
    expect(() => SafetensorsFile.open(sizeMismatch)).toThrow(
      "tensor x.weight: 8 bytes for F16 [3] (6 expected)",
    );
    const noShape = raw({ "x.weight": { dtype: "F32", data_offsets: [0, 0] } });
    expect(() => SafetensorsFile.open(noShape)).toThrow("tensor x.weight: shape undefined is not a list");
  });

  it("opens files with integer tensors (CLIP's position_ids) but refuses to read them as weights", () => {
    const path = raw(
      {
        __metadata__: { format: "pt" },
        "text_model.embeddings.position_ids": { dtype: "I64", shape: [1, 2], data_offsets: [0, 16] },
      },
      new Uint8Array(16),
    );
    withFile(path, (file) => {
      expect(file.names).toEqual(["text_model.embeddings.position_ids"]);
      expect(() => file.read("text_model.embeddings.position_ids")).toThrow(
        `${path}: tensor text_model.embeddings.position_ids has dtype I64; only F32, F16, BF16 can be read`,
      );
      expect(() => file.read("missing")).toThrow(`${path}: no tensor missing`);
    });
  });
});
