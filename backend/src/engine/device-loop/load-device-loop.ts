import type { ExecutionProviderSpec } from "../models/execution-provider-options.ts";
import type { PipelineComponents } from "../pipelines/generate.ts";
import type { EngineLogger } from "../types.ts";
import { DeviceLoop } from "./device-loop.ts";
import { deviceLoopSettings } from "./native-options.ts";

/**
 * The device loop for a loaded pipeline when the first execution provider asks for it and the
 * pipeline's sessions run on that provider; undefined otherwise. A model the loop cannot take (a UNet
 * with LoRA adapter or ControlNet residual inputs, an inpainting UNet) or a provider that fails to
 * start through the C API leaves the pipeline on its host loop, with a warning saying why.
 */
export function loadDeviceLoop(
  modelDir: string,
  spec: ExecutionProviderSpec | undefined,
  components: PipelineComponents,
  logger: EngineLogger,
): DeviceLoop | undefined {
  const settings = deviceLoopSettings(spec);
  if (settings === undefined || spec === undefined) return undefined;
  const off = (reason: string) => {
    logger.warn("device loop off for this model; its host loop runs every request", { modelDir, reason });
    return undefined;
  };
  if (components.executionProvider !== spec.name) {
    return off(`the pipeline's sessions run on ${components.executionProvider}, not ${spec.name}`);
  }
  if (components.traits.inpainting) return off("an inpainting UNet takes a mask with every step");
  try {
    return DeviceLoop.load(modelDir, settings, components.scalingFactor, logger);
  } catch (error) {
    // the loop is a faster path, not the only one: whatever stops it (a UNet input it does not feed,
    // a provider that fails through the C API, no CUDA runtime for run-ahead's stream) leaves the host loop
    return off(error instanceof Error ? error.message : String(error));
  }
}
