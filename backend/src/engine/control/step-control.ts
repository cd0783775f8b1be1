import { InvalidArgumentError } from "../errors.ts";
import type { UNetSession } from "../models/unet.ts";
import type { RgbImage } from "../types.ts";
import { residualScales, rowWeights, unitActive } from "./control-scales.ts";
import type { ControlNetUnit } from "./control-unit.ts";
import type { ControlResiduals } from "./residuals.ts";

/** What a denoising step hands its ControlNets: the UNet call's inputs before inpainting channels. */
export interface ControlStepInputs {
  /** 0-based step of this pass and the pass's step count. */
  step: number;
  steps: number;
  /** Scaled latents, one copy per row of the UNet call. */
  sample: Float32Array;
  sampleDims: readonly [number, number, number, number];
  timestep: number;
  context: Float32Array;
  contextDims: readonly [number, number, number];
  /** SDXL's added conditioning, as the UNet call gets it (an SDXL ControlNet takes it too). */
  textEmbeds?: Float32Array;
  timeIds?: Float32Array;
}

/** A pass's ControlNets: the UNet that takes residuals, and per step the residuals (none when no unit acts). */
export interface StepControl {
  unet: UNetSession;
  residualsAt(inputs: ControlStepInputs): Promise<ControlResiduals | undefined>;
}

/**
 * The units of one denoising pass, summed as diffusers' `MultiControlNetModel` and A1111 sum them:
 * each active unit's residuals scaled per block (weight, control mode) and per row (control mode),
 * then added together. `hires`: the second pass of hires fix, where the extension softens canny units.
 */
export function stepControl(
  units: readonly ControlNetUnit[],
  unet: UNetSession,
  options: { hires: boolean },
): StepControl {
  for (const [i, unit] of units.entries())
    if (unit.controlNet.residualCount !== unet.residualCount)
      throw new InvalidArgumentError(
        `controlnet.${i}.model`,
        unit.record.model,
        `gives ${unit.controlNet.residualCount} residuals, and this model's ControlNet UNet takes ${unet.residualCount} (a ControlNet for another base architecture?)`,
      );
  const conds = units.map((unit) => condTensor(unit.map));
  return {
    unet,
    async residualsAt(inputs) {
      const rows = inputs.sampleDims[0];
      let total: ControlResiduals | undefined;
      for (const [u, unit] of units.entries()) {
        // a unit at weight 0 adds nothing: skipping it saves its ControlNet call and keeps the pixels exact
        if (unit.weight === 0 || !unitActive(inputs.step, inputs.steps, unit.guidanceStart, unit.guidanceEnd))
          continue;
        const cond = conds[u] as Float32Array;
        const { width, height } = unit.map;
        const out = await unit.controlNet.residuals({
          ...inputs,
          cond: rows === 1 ? cond : repeatRows(cond, rows),
          condDims: [rows, 3, height, width],
        });
        const forceSoft = options.hires && unit.record.module === "canny";
        const scales = residualScales(unit.weight, unit.controlMode, out.tensors.length, forceSoft);
        const rowScale = rowWeights(unit.controlMode, rows, rows > 1);
        total = accumulate(total, out, scales, rowScale);
      }
      return total;
    },
  };
}

/** `total + Σ residual · scale[block] · rowScale[row]`, in place on `total` once it exists. */
function accumulate(
  total: ControlResiduals | undefined,
  residuals: ControlResiduals,
  scales: readonly number[],
  rowScale: readonly number[],
): ControlResiduals {
  const sum = total ?? {
    tensors: residuals.tensors.map(({ data, dims }) => ({ data: new Float32Array(data.length), dims })),
  };
  residuals.tensors.forEach(({ data }, block) => {
    const target = sum.tensors[block]?.data as Float32Array;
    const rowSize = data.length / rowScale.length;
    for (let i = 0; i < data.length; i++) {
      const factor = (scales[block] as number) * (rowScale[Math.floor(i / rowSize)] as number);
      target[i] = (target[i] as number) + (data[i] as number) * factor;
    }
  });
  return sum;
}

/** The map as the ControlNet takes it: `[3, H, W]`, RGB in [0, 1] (diffusers' `VaeImageProcessor(do_normalize=False)`). */
export function condTensor(map: RgbImage): Float32Array {
  const plane = map.width * map.height;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++)
    for (let c = 0; c < 3; c++) out[c * plane + i] = (map.rgb[i * 3 + c] as number) / 255;
  return out;
}

function repeatRows(data: Float32Array, rows: number): Float32Array {
  const out = new Float32Array(data.length * rows);
  for (let r = 0; r < rows; r++) out.set(data, r * data.length);
  return out;
}
