import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";

export interface BuildInfo {
  builderVersion: number;
  /** SHA-256 over every file's path, length and bytes, in path order. */
  contentHash: string;
  files: Record<string, { bytes: number; sha256: string }>;
}

export const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

export function buildInfoOf(files: ReadonlyMap<string, Uint8Array>, builderVersion: number): BuildInfo {
  const total = createHash("sha256");
  const listed: BuildInfo["files"] = {};
  for (const [path, bytes] of files) {
    total.update(`${path}\0${bytes.length}\0`).update(bytes);
    listed[path] = { bytes: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") };
  }
  return { builderVersion, contentHash: total.digest("hex"), files: listed };
}

/**
 * Write `files` to `dir` unless it already holds them (same `build-info.json` content hash, files of
 * the recorded sizes): into a temporary sibling first, `build-info.json` last, then renamed into
 * place, so concurrent processes never see half a model. Returns whether it wrote.
 */
export async function writeModelFolder(
  dir: string,
  files: ReadonlyMap<string, Uint8Array>,
  info: BuildInfo,
): Promise<boolean> {
  if (await isCurrent(dir, info)) return false;
  const parent = dirname(dir);
  await mkdir(parent, { recursive: true });
  const staging = join(parent, `.${basename(dir)}-${process.pid}-${randomBytes(4).toString("hex")}`);
  try {
    for (const [path, bytes] of files) {
      await mkdir(dirname(join(staging, path)), { recursive: true });
      await writeFile(join(staging, path), bytes);
    }
    // build-info.json last: a folder with it is complete.
    await writeFile(join(staging, "build-info.json"), json(info));
    await moveIntoPlace(staging, dir, () => isCurrent(dir, info));
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return true;
}

function basename(path: string): string {
  return path.split(/[\\/]/).filter(Boolean).pop() ?? "model";
}

/**
 * Rename a finished staging folder onto `dir`, replacing what is there unless `alreadyDone` says
 * another process has just put a current model in place.
 */
export async function moveIntoPlace(
  staging: string,
  dir: string,
  alreadyDone: () => Promise<boolean>,
): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await rename(staging, dir);
      return;
    } catch (error) {
      if (!isCode(error, "ENOTEMPTY") && !isCode(error, "EEXIST")) throw error;
    }
    if (await alreadyDone()) return;
    const stale = `${dir}.stale-${process.pid}-${randomBytes(4).toString("hex")}`;
    try {
      await rename(dir, stale);
    } catch (error) {
      if (!isCode(error, "ENOENT")) throw error;
    }
    await rm(stale, { recursive: true, force: true });
  }
  throw new Error(`could not move the model into ${dir}: it keeps being replaced`);
}

async function isCurrent(dir: string, expected: BuildInfo): Promise<boolean> {
  let found: BuildInfo;
  try {
    found = JSON.parse(await readFile(join(dir, "build-info.json"), "utf8")) as BuildInfo;
  } catch {
    return false;
  }
  if (found.builderVersion !== expected.builderVersion || found.contentHash !== expected.contentHash)
    return false;
  for (const [path, { bytes }] of Object.entries(expected.files)) {
    try {
      const content = await readFile(join(dir, path));
      if (content.length !== bytes) return false;
    } catch {
      return false;
    }
  }
  return true;
}

function isCode(error: unknown, code: string): boolean {
  return typeof error === "object" && error !== null && "code" in error && error.code === code;
}
