import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { type DigestEntry, isDigestIgnored, modelDigest } from "@sdgate/shared";

/** SHA-256 of a file, hex, read streamed. */
export async function fileSha256(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

async function entriesOf(root: string, prefix: string): Promise<DigestEntry[]> {
  const entries: DigestEntry[] = [];
  const children = await readdir(join(root, prefix), { withFileTypes: true });
  for (const child of children) {
    if (isDigestIgnored(child.name)) continue;
    const path = prefix === "" ? child.name : `${prefix}/${child.name}`;
    if (child.isDirectory()) entries.push(...(await entriesOf(root, path)));
    // Links and devices are not model files; an export is plain files in plain folders.
    else if (child.isFile()) entries.push({ path, sha256: await fileSha256(join(root, path)) });
  }
  return entries;
}

/**
 * The registry digest of a model folder (see shared/src/model-digest.ts): every file is read once,
 * streamed, so a full-size SD 1.5 export (about 2 GB in fp16) costs a few seconds at startup.
 *
 * @example
 * const digest = await folderDigest("/models/sd15"); // what `sdgate registry register-version` names
 */
export async function folderDigest(dir: string): Promise<string> {
  return modelDigest(await entriesOf(dir, ""));
}

/** Each model's digest, by id, for the backend's signed status and its version check. */
export async function modelDigests(
  folders: Readonly<Record<string, string>>,
): Promise<Record<string, string>> {
  const digests: Record<string, string> = {};
  for (const [id, dir] of Object.entries(folders)) digests[id] = await folderDigest(dir);
  return digests;
}
