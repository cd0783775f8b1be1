/** Builds the project's own ONNX models, so tests and benchmarks download nothing. */
export {
  buildControlNet,
  CONTROLNET_INPUTS,
  type ControlNetConfig,
  downResidualName,
  FreshControlNetWeights,
  MID_RESIDUAL_INPUT,
  MID_RESIDUAL_OUTPUT,
} from "./controlnet.ts";
export {
  type AttributeValue,
  type DataTypeName,
  type Dim,
  type FloatTypeName,
  float,
  GraphBuilder,
  type GraphOptions,
} from "./graph.ts";
export {
  buildGuidedStepGraph,
  GUIDED_STEP_METADATA_KEY,
  type GuidedStepOptions,
  guidedStepModelPath,
  type TimestepTypeName,
  writeGuidedStepModel,
} from "./guided-step-graph.ts";
export { OPERATOR_SETS, type OperatorSet } from "./nn.ts";
export { EXTERNAL_DATA_FILE } from "./onnx-files.ts";
export {
  buildSafetyChecker,
  FULL_SIZE_SAFETY_CHECKER,
  type SafetyCheckerOptions,
  type SafetyCheckerShape,
  safetyCheckerConfig,
  TINY_SAFETY_CHECKER,
} from "./safety-checker.ts";
export {
  buildSd15ControlNetFullSize,
  type ControlNetFullSizeOptions,
  type ControlNetFullSizeResult,
} from "./sd15-controlnet-full-size.ts";
export {
  buildSd15FullSize,
  checkFullSizeOptions,
  countSd15Parameters,
  FULL_SIZE_NETWORKS,
  type FullSizeNetwork,
  type FullSizeOptions,
  type FullSizeProgress,
  type FullSizeResult,
  type Sd15Weights,
} from "./sd15-full-size.ts";
export {
  buildSdxlFullSize,
  countSdxlParameters,
  SDXL_NETWORKS,
  type SdxlFullSizeOptions,
  type SdxlFullSizeResult,
  type SdxlNetwork,
} from "./sdxl-full-size.ts";
export {
  buildSdxlRefinerFullSize,
  countSdxlRefinerParameters,
  SDXL_REFINER_NETWORKS,
  type SdxlRefinerFullSizeOptions,
  type SdxlRefinerNetwork,
} from "./sdxl-refiner-full-size.ts";
export type { SdxlWeights } from "./sdxl-weights.ts";
export { CountingSink, ExternalDataSink, inlineSink, type TensorSink } from "./tensor-sink.ts";
export {
  buildTinyControlNetFiles,
  ensureTinyControlNet,
  TINY_CONTROLNET,
  TINY_CONTROLNET_BUILDER_VERSION,
  TINY_SDXL_CONTROLNET,
  type TinyControlNetFamily,
} from "./tiny-controlnet.ts";
export { buildTinyLoraFile, ensureTinyLora } from "./tiny-lora.ts";
export {
  type BuildInfo,
  buildTinyModelFiles,
  type EnsureTinyModelResult,
  type Exporter,
  ensureTinyModel,
  ensureTinyModelDetailed,
  resolveTinyOptions,
  TINY_FAMILIES,
  TINY_MODEL_BUILDER_VERSION,
  type TinyFamily,
  type TinyModelOptions,
  type TinyModelVariant,
  tinyModelFolderName,
} from "./tiny-model.ts";
export { NETWORK_METADATA_KEY } from "./unet-2d-condition.ts";
export { WeightSource } from "./weights.ts";
