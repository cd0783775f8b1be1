import {
  buildSd15ControlNetFullSize,
  type ControlNetFullSizeOptions,
  type ControlNetFullSizeResult,
} from "../model-builder/sd15-controlnet-full-size.ts";
import { DiffusersCheckpoint } from "./checkpoint-weights.ts";
import { ControlNetCheckpoint } from "./controlnet-checkpoint.ts";
import { SingleFileCheckpoint } from "./single-file-checkpoint.ts";

export interface ControlNetImportOptions extends Omit<ControlNetFullSizeOptions, "checkpoint"> {
  /**
   * The ControlNet: a diffusers folder or a `.safetensors` single file in lllyasviel's layout (see
   * `ControlNetCheckpoint`).
   */
  from: string;
  /**
   * The base model a difference ControlNet was made against: a single-file SD 1.5 checkpoint
   * (`.safetensors`) or a diffusers folder; its UNet is added back into the ControlNet's encoder.
   */
  base?: string;
}

export interface ControlNetImportResult extends ControlNetFullSizeResult {
  /** Whether the file held differences from `base`. */
  difference: boolean;
  /** `file: tensor` for tensors of the ControlNet file no layer read. */
  unusedTensors: string[];
}

/**
 * A real ControlNet built into `outDir` as the engine loads ControlNets (`model.onnx`,
 * `model.onnx_data`, `config.json`; put it at `<models>/controlnet/<name>`).
 *
 * @example
 * await importControlNet("/models/controlnet/canny", { from: "/dl/control_v11p_sd15_canny.safetensors", dtype: "float16" });
 */
export async function importControlNet(
  outDir: string,
  options: ControlNetImportOptions,
): Promise<ControlNetImportResult> {
  const { from, base: basePath, ...build } = options;
  const base = basePath === undefined ? undefined : openBase(basePath);
  try {
    const controlnet = ControlNetCheckpoint.open(from, base === undefined ? {} : { baseUNet: base.unet });
    try {
      const result = await buildSd15ControlNetFullSize(outDir, {
        ...build,
        checkpoint: { weights: controlnet.weights, config: controlnet.config },
      });
      return { ...result, difference: controlnet.difference, unusedTensors: controlnet.unusedTensors() };
    } finally {
      controlnet.close();
    }
  } finally {
    base?.close();
  }
}

function openBase(path: string): SingleFileCheckpoint | DiffusersCheckpoint {
  return path.endsWith(".safetensors") ? SingleFileCheckpoint.open(path) : DiffusersCheckpoint.open(path);
}
