import type { GraphOptions } from "./graph.ts";
import { ExternalDataSink } from "./tensor-sink.ts";

/** optimum's name for the weights file beside `model.onnx`. */
export const EXTERNAL_DATA_FILE = "model.onnx_data";

/**
 * Build one network into `files` as `<folder>/model.onnx`, with its weights inline or, when
 * `externalData`, in `<folder>/model.onnx_data` referenced by `location`.
 */
export function addOnnxModel(
  files: Map<string, Uint8Array>,
  folder: string,
  externalData: boolean,
  graph: GraphOptions,
  build: (graph: GraphOptions) => Uint8Array,
): void {
  if (!externalData) {
    files.set(`${folder}/model.onnx`, build(graph));
    return;
  }
  const chunks: Uint8Array[] = [];
  const sink = new ExternalDataSink({ location: EXTERNAL_DATA_FILE, write: (chunk) => chunks.push(chunk) });
  files.set(`${folder}/model.onnx`, build({ ...graph, sink }));
  files.set(`${folder}/${EXTERNAL_DATA_FILE}`, Buffer.concat(chunks));
}
