/** The device-side denoising loop's host half (issue 19): step tables, noise tables, the reference step. */
export {
  applyLinearStep,
  type LinearStepInput,
  type LinearStepOutput,
  tableRow,
} from "./apply-linear-step.ts";
export {
  packStepTable,
  STEP_COLUMN_COUNT,
  STEP_COLUMNS,
  type StepCoefficients,
  type StepColumn,
  type StepTable,
} from "./linear-step.ts";
export { buildStepTable, type StepTableOptions } from "./step-coefficients.ts";
export { drawStepNoise, drawsNoiseAt, drawsStepNoise } from "./step-noise.ts";
export { DeviceLoopUnsupportedError, isDeviceLoopUnsupportedError } from "./unsupported-config.ts";
