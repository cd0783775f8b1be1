import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import onnx from "onnx-proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelLoadError } from "../errors.ts";
import { checkExternalData, listExternalData } from "./external-data.ts";

const FLOAT = 1;
let dir: string;

/** A model whose graph has an inline 2 MB initializer and two stored in `weights.bin`. */
function modelBytes(): Uint8Array {
  const external = (name: string, offset: number, length: number) => ({
    name,
    dataType: FLOAT,
    dims: [length / 4],
    dataLocation: 1,
    externalData: [
      { key: "location", value: "weights.bin" },
      { key: "offset", value: String(offset) },
      { key: "length", value: String(length) },
    ],
  });
  const model = onnx.onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 17 }],
    graph: {
      name: "g",
      node: [{ opType: "Identity", input: ["a"], output: ["y"] }],
      initializer: [
        { name: "inline", dataType: FLOAT, dims: [512 * 1024], rawData: new Uint8Array(2 << 20) },
        external("a", 0, 64),
        external("b", 64, 128),
      ],
    },
  });
  return onnx.onnx.ModelProto.encode(model).finish();
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sdgate-external-"));
  await writeFile(join(dir, "model.onnx"), modelBytes());
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("external weight files", () => {
  it("lists the files an ONNX model keeps its initializers in, skipping inline weights", async () => {
    expect(await listExternalData(join(dir, "model.onnx"))).toEqual([
      { location: "weights.bin", minBytes: 192, tensor: "a" },
    ]);
  });

  it("names a missing weights file relative to the model folder", async () => {
    const check = checkExternalData(join(dir, "model.onnx"), "unet/model.onnx", dir);
    await expect(check).rejects.toThrow(ModelLoadError);
    await expect(check).rejects.toThrow(/^weights\.bin: external weights file missing/);
  });

  it("names a truncated weights file, and accepts a complete one", async () => {
    await writeFile(join(dir, "weights.bin"), new Uint8Array(100));
    await expect(checkExternalData(join(dir, "model.onnx"), "unet/model.onnx", dir)).rejects.toThrow(
      /weights\.bin: external weights file has 100 bytes, unet\/model\.onnx needs 192/,
    );
    await writeFile(join(dir, "weights.bin"), new Uint8Array(192));
    expect(await checkExternalData(join(dir, "model.onnx"), "unet/model.onnx", dir)).toEqual([
      join(dir, "weights.bin"),
    ]);
  });
});
