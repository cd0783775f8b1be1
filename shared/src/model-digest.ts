import { sha256Hex } from "./encoding.ts";

/**
 * A model version's content digest (issue 16): SHA-256 of a manifest that lists every file of the
 * model's folder as `<sha256 of the file>  <path relative to the folder>` (sha256sum's format), one
 * per line, sorted by path in code-point order, with `/` separators. Files and folders whose name
 * starts with `.` are not part of a model (caches and editors' files) and are left out. The registry
 * stores it; backends compute it over the folders they load and report it; the edge routes a
 * request only to backends that report its version's digest.
 */
export interface DigestEntry {
  /** Relative to the model's folder, `/`-separated. */
  path: string;
  /** SHA-256 of the file's bytes, lowercase hex. */
  sha256: string;
}

/** The manifest the digest is taken of (useful to show what differs between two folders). */
export function digestManifest(entries: readonly DigestEntry[]): string {
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return sorted.map(({ path, sha256 }) => `${sha256}  ${path}\n`).join("");
}

/**
 * @example
 * await modelDigest([{ path: "unet/model.onnx", sha256: "…" }]); // 64 hex digits
 */
export function modelDigest(entries: readonly DigestEntry[]): Promise<string> {
  return sha256Hex(digestManifest(entries));
}

/** Whether a path segment is left out of a model's digest. */
export const isDigestIgnored = (name: string) => name.startsWith(".");

/** `sd15@v3 (sha256 0123abcd…)`: how messages name a version. */
export const describeVersion = (model: string, version: string, digest: string) =>
  `${model}@${version} (sha256 ${digest.slice(0, 12)}…)`;
