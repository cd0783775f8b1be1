import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { nativeDir } from "../cuda-provider.ts";

/**
 * The `libonnxruntime.so.1` onnxruntime-node ships (where the CUDA provider is installed beside it,
 * see cuda-provider.ts), or `SDGATE_ONNXRUNTIME_LIBRARY` when set.
 */
export function findOnnxruntimeLibrary(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.SDGATE_ONNXRUNTIME_LIBRARY;
  if (configured !== undefined && configured !== "") {
    if (!existsSync(configured)) throw new Error(`SDGATE_ONNXRUNTIME_LIBRARY=${configured}: no such file`);
    return configured;
  }
  const packageDir = dirname(createRequire(import.meta.url).resolve("onnxruntime-node/package.json"));
  return join(nativeDir(packageDir), "libonnxruntime.so.1");
}
