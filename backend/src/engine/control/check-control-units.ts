import { MAX_CONTROLNET_UNITS } from "@sdgate/shared";
import { InvalidArgumentError } from "../errors.ts";
import type { ControlNetUnit } from "./control-unit.ts";

/** The units as given, after checking what the engine relies on; `undefined` for none. */
export function checkControlUnits(
  units: readonly ControlNetUnit[] | undefined,
  width: number,
  height: number,
): readonly ControlNetUnit[] | undefined {
  if (units === undefined || units.length === 0) return undefined;
  if (units.length > MAX_CONTROLNET_UNITS)
    throw new InvalidArgumentError("controlnet", units.length, `has more than ${MAX_CONTROLNET_UNITS} units`);
  for (const [i, unit] of units.entries()) {
    const at = `controlnet.${i}`;
    if (unit.map.width !== width || unit.map.height !== height)
      throw new InvalidArgumentError(
        `${at}.image`,
        `${unit.map.width}×${unit.map.height}`,
        `has to be resized to the request's ${width}×${height} before the engine`,
      );
    if (!(unit.weight >= 0 && unit.weight <= 2))
      throw new InvalidArgumentError(`${at}.weight`, unit.weight, "has to be from 0 to 2");
    if (!(unit.guidanceStart >= 0 && unit.guidanceStart < unit.guidanceEnd && unit.guidanceEnd <= 1))
      throw new InvalidArgumentError(
        `${at}.guidance_end`,
        unit.guidanceEnd,
        `has to be past guidance_start (${unit.guidanceStart}) and at most 1`,
      );
  }
  return units;
}
