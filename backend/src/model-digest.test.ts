import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { digestManifest, modelDigest, sha256Hex } from "@sdgate/shared";
import { afterEach, describe, expect, it } from "vitest";
import { folderDigest, modelDigests } from "./model-digest.ts";

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "sdgate-digest-"));
  made.push(dir);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe("a model folder's digest", () => {
  it("is SHA-256 of the sha256sum-style manifest of its files, sorted by path", async () => {
    const dir = folder({
      "unet/model.onnx": "unet",
      "model_index.json": "{}",
      "vae_decoder/model.onnx": "vae",
    });
    const manifest = digestManifest([
      { path: "vae_decoder/model.onnx", sha256: await sha256Hex("vae") },
      { path: "model_index.json", sha256: await sha256Hex("{}") },
      { path: "unet/model.onnx", sha256: await sha256Hex("unet") },
    ]);
    expect(manifest.split("\n")[0]).toBe(`${await sha256Hex("{}")}  model_index.json`);
    expect(await folderDigest(dir)).toBe(await sha256Hex(manifest));
  });

  it("changes with any byte of any file, and with a file's name", async () => {
    const base = await folderDigest(folder({ "unet/model.onnx": "weights", "a.json": "{}" }));
    expect(await folderDigest(folder({ "unet/model.onnx": "weightz", "a.json": "{}" }))).not.toBe(base);
    expect(await folderDigest(folder({ "unet/other.onnx": "weights", "a.json": "{}" }))).not.toBe(base);
    expect(await folderDigest(folder({ "unet/model.onnx": "weights", "a.json": "{}" }))).toBe(base);
  });

  it("leaves out dot-files and dot-folders (caches, editors' files)", async () => {
    const plain = await folderDigest(folder({ "unet/model.onnx": "w" }));
    const cached = await folderDigest(
      folder({ "unet/model.onnx": "w", ".cache/x": "1", "unet/.DS_Store": "" }),
    );
    expect(cached).toBe(plain);
  });

  it("is given per model id", async () => {
    const dir = folder({ "x.onnx": "x" });
    expect(await modelDigests({ tiny: dir })).toEqual({
      tiny: await modelDigest([{ path: "x.onnx", sha256: await sha256Hex("x") }]),
    });
  });
});
