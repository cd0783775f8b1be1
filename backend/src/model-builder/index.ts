/** Builds the project's own ONNX models, so tests and benchmarks download nothing. */
export { type AttributeValue, type DataTypeName, type Dim, float, GraphBuilder } from "./graph.ts";
export {
  type BuildInfo,
  buildTinyModelFiles,
  type EnsureTinyModelResult,
  ensureTinyModel,
  ensureTinyModelDetailed,
  TINY_MODEL_BUILDER_VERSION,
  type TinyModelVariant,
} from "./tiny-model.ts";
