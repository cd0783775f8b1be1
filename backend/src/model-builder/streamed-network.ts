import { randomBytes } from "node:crypto";
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import type { FloatTypeName, GraphOptions } from "./graph.ts";
import { EXTERNAL_DATA_FILE } from "./onnx-files.ts";
import { ExternalDataSink, type TensorRecord } from "./tensor-sink.ts";

/** A network as a builder over a graph's options (sink, float type). */
export type NetworkBuilder = (graph: GraphOptions) => Uint8Array;

/** A hidden sibling of `dir` to build into before it is renamed into place. */
export function stagingFor(dir: string): string {
  return join(dirname(dir), `.${dir.split(/[\\/]/).pop()}-${process.pid}-${randomBytes(4).toString("hex")}`);
}

/**
 * Write `build`'s graph to `<folder>/model.onnx` with its weights streamed, one tensor at a time, into
 * `<folder>/model.onnx_data`; `onParameterBytes` hears of each weight tensor's bytes as it is written.
 * Returns the bytes of `model.onnx_data`.
 */
export function writeStreamedNetwork(
  folder: string,
  build: NetworkBuilder,
  floatType: FloatTypeName,
  onParameterBytes?: (bytes: number) => void,
): number {
  mkdirSync(folder, { recursive: true });
  const fd = openSync(join(folder, EXTERNAL_DATA_FILE), "w");
  try {
    const external = new ExternalDataSink({
      location: EXTERNAL_DATA_FILE,
      write: (chunk) => writeAll(fd, chunk),
    });
    const sink = {
      store: (tensor: TensorRecord) => {
        const stored = external.store(tensor);
        if (tensor.kind === "parameter") onParameterBytes?.(tensor.byteLength);
        return stored;
      },
    };
    writeFileSync(join(folder, "model.onnx"), build({ floatType, sink }));
    return external.bytesWritten;
  } finally {
    closeSync(fd);
  }
}

function writeAll(fd: number, chunk: Uint8Array): void {
  let offset = 0;
  while (offset < chunk.length) offset += writeSync(fd, chunk, offset, chunk.length - offset);
}
