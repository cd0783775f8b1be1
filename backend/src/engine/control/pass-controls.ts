import type { UNetSession } from "../models/unet.ts";
import type { ResolvedRequest } from "../pipelines/validate.ts";
import type { Seed } from "../types.ts";
import { resizeMap } from "./resize-map.ts";
import { type StepControl, stepControl } from "./step-control.ts";

/**
 * A request's ControlNet units for each denoising pass, or `undefined` without any: the first pass
 * with the maps as given; hires fix's second pass with them resized to the final size, as A1111
 * applies a unit to both passes (it runs the preprocessor again at that size; resizing the map is
 * what sdgate does instead).
 */
export async function passControls<S extends Seed>(
  resolved: ResolvedRequest<S>,
  controlUnet: () => Promise<UNetSession>,
): Promise<{ first: StepControl; hires: StepControl | undefined } | undefined> {
  const units = resolved.controlNet;
  if (units === undefined) return undefined;
  const unet = await controlUnet();
  const { hires } = resolved;
  return {
    first: stepControl(units, unet, { hires: false }),
    hires:
      hires === undefined
        ? undefined
        : stepControl(
            await Promise.all(
              units.map(async (unit) => ({
                ...unit,
                map: await resizeMap(unit.map, hires.width, hires.height),
              })),
            ),
            unet,
            { hires: true },
          ),
  };
}
