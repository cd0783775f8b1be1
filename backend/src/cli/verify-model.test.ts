import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { folderDigest } from "../model-digest.ts";

const CLI = fileURLToPath(new URL("./verify-model.ts", import.meta.url));

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "sdgate-verify-"));
  made.push(dir);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/** The CLI as the copy Job runs it: a real process, its exit code and output. */
function verify(...args: string[]) {
  const run = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8" });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

const MODEL = { "model_index.json": "{}", "unet/model.onnx": "unet", "vae_decoder/model.onnx": "vae" };

describe("verify-model", () => {
  it("accepts a folder whose digest is the expected one", async () => {
    const dir = folder(MODEL);
    const digest = await folderDigest(dir);
    expect(verify(dir, digest)).toMatchObject({ code: 0, stdout: `${dir}: digest ${digest} as expected\n` });
  });

  it("ignores the copy's completion marker and other dot-files, as the digest does", async () => {
    const digest = await folderDigest(folder(MODEL));
    const marked = folder({ ...MODEL, ".sdgate-complete": "", ".partial/x": "y" });
    expect(verify(marked, digest).code).toBe(0);
  });

  it("refuses a half-copied folder, naming both digests", async () => {
    const digest = await folderDigest(folder(MODEL));
    const { "vae_decoder/model.onnx": _, ...half } = MODEL;
    const dir = folder(half);
    const found = await folderDigest(dir);
    const result = verify(dir, digest);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`${dir}: digest mismatch: expected ${digest}, found ${found}\n`);
    expect(result.stdout).toBe("");
  });

  it("refuses a changed byte", async () => {
    const digest = await folderDigest(folder(MODEL));
    const result = verify(folder({ ...MODEL, "unet/model.onnx": "unet!" }), digest);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`expected ${digest}, found `);
  });

  it("fails on a folder that is not there", () => {
    const result = verify(join(tmpdir(), "sdgate-verify-missing"), "a".repeat(64));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("cannot read");
  });

  it("prints a folder's digest with --print, for registering the version", async () => {
    const dir = folder(MODEL);
    expect(verify("--print", dir)).toMatchObject({ code: 0, stdout: `${await folderDigest(dir)}\n` });
  });

  it.each([
    [[], "name the model folder"],
    [["/models/sd15"], "name the folder and the digest it must have"],
    [["/models/sd15", "sha256:abc"], "'sha256:abc' is not a SHA-256 digest"],
    [["/models/sd15", "A".repeat(64)], "is not a SHA-256 digest"],
    [["--print", "/models/sd15", "a".repeat(64)], "--print takes only the folder"],
    [["--force", "/models/sd15"], "Unknown option"],
  ])("exits 2 on a usage mistake: %j", (args, message) => {
    const result = verify(...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain("Usage:");
  });
});
