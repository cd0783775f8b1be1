/**
 * Installs onnxruntime's CUDA 13 execution provider (see `CUDA13_PROVIDER`) beside onnxruntime-node,
 * as backend/Dockerfile does for the production image:
 *
 *   node backend/src/cli/install-cuda-provider.ts [--onnxruntime-dir node_modules/onnxruntime-node]
 *
 * Downloads one pinned npm tarball (about 180 MB), refuses it unless its integrity is the pinned one,
 * and copies the provider's two libraries next to `libonnxruntime.so`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { CUDA13_PROVIDER, installCudaProvider, npmPack } from "../cuda-provider.ts";

const { values } = parseArgs({
  options: { "onnxruntime-dir": { type: "string", default: "node_modules/onnxruntime-node" } },
});
const workDir = mkdtempSync(join(tmpdir(), "sdgate-cuda-provider-"));
try {
  const pin = CUDA13_PROVIDER;
  process.stderr.write(`downloading ${pin.package}@${pin.version} (onnxruntime ${pin.ort}, CUDA 13)…\n`);
  const written = installCudaProvider({
    onnxruntimeDir: resolve(values["onnxruntime-dir"] ?? ""),
    workDir,
    fetch: npmPack,
  });
  for (const path of written) process.stdout.write(`installed ${path}\n`);
} catch (error) {
  process.stderr.write(`install-cuda-provider: ${(error as Error).message}\n`);
  process.exitCode = 1;
} finally {
  rmSync(workDir, { recursive: true, force: true });
}
