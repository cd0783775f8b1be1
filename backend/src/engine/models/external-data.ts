import { open, stat } from "node:fs/promises";
import { dirname, join, normalize, relative } from "node:path";
import { ModelLoadError } from "../errors.ts";
import { EXTERNAL_DATA_LOCATION, FileCursor, smallInitializers } from "./onnx-file-walk.ts";

/**
 * ONNX files over 2 GB keep their weights beside them (`model.onnx_data`, or whatever `location` each
 * initializer names; onnx's `external_data_helper.py`). onnxruntime then fails with an opaque message
 * when one is missing, so the pipeline checks them first and names the missing file.
 *
 * The model file is walked with positioned reads: protobuf fields are skipped by their length, and
 * only the small `TensorProto` headers of initializers are decoded (with onnx-proto), so a 1.7 GB
 * single-file UNet is not read into memory to find out it has no external data.
 */

export interface ExternalDataReference {
  /** As written in the model, relative to the model's folder. */
  location: string;
  /** Bytes the file must have: the largest `offset + length` referenced (0 when unknown). */
  minBytes: number;
  /** The first initializer stored there. */
  tensor: string;
}

/** The external weight files `modelPath` references, in order of first use. */
export async function listExternalData(modelPath: string): Promise<ExternalDataReference[]> {
  const handle = await open(modelPath, "r");
  try {
    const size = (await handle.stat()).size;
    const cursor = new FileCursor(handle);
    const found = new Map<string, ExternalDataReference>();
    for await (const proto of smallInitializers(cursor, size)) {
      const entries = proto.externalData ?? [];
      if (proto.dataLocation !== EXTERNAL_DATA_LOCATION && entries.length === 0) continue;
      const info = new Map(entries.map((e) => [e.key ?? "", e.value ?? ""]));
      const location = info.get("location");
      if (location === undefined || location === "") {
        throw new ModelLoadError(`${modelPath}: ${proto.name}`, "external data without a `location`");
      }
      const end = Number(info.get("offset") ?? 0) + Number(info.get("length") ?? 0);
      const known = found.get(location);
      if (known === undefined) found.set(location, { location, minBytes: end, tensor: proto.name ?? "" });
      else known.minBytes = Math.max(known.minBytes, end);
    }
    return [...found.values()];
  } finally {
    await handle.close();
  }
}

/**
 * Check that every external weight file of `modelPath` is there and long enough; a missing one is a
 * `ModelLoadError` naming it relative to the model folder (e.g. `unet/model.onnx_data`). Returns the
 * files' absolute paths.
 */
export async function checkExternalData(
  modelPath: string,
  modelFile: string,
  modelDir: string,
): Promise<string[]> {
  const references = await listExternalData(modelPath);
  const paths: string[] = [];
  for (const { location, minBytes, tensor } of references) {
    const path = normalize(join(dirname(modelPath), location));
    const shown = relative(modelDir, path) || location;
    let bytes: number;
    try {
      bytes = (await stat(path)).size;
    } catch (error) {
      throw new ModelLoadError(
        shown,
        `external weights file missing (${modelFile} keeps tensor ${tensor} there)`,
        { cause: error },
      );
    }
    if (bytes < minBytes) {
      throw new ModelLoadError(
        shown,
        `external weights file has ${bytes} bytes, ${modelFile} needs ${minBytes}`,
      );
    }
    paths.push(path);
  }
  return paths;
}
