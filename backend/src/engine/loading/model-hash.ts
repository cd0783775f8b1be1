import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";

/** Hex digits A1111 shows as `Model hash` (its "short hash": the start of the file's SHA-256). */
const SHORT_HASH_DIGITS = 10;

/**
 * A1111-style short model hash: the first 10 hex digits of the SHA-256 of the UNet's weights, i.e.
 * `unet/model.onnx` followed by its external data files (a graph-only `model.onnx` alone would give
 * two fine-tunes of one architecture the same hash).
 */
export async function shortModelHash(paths: readonly string[]): Promise<string> {
  const hash = createHash("sha256");
  for (const path of paths) {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 22 }))
      hash.update(chunk as Buffer);
  }
  return hash.digest("hex").slice(0, SHORT_HASH_DIGITS);
}
