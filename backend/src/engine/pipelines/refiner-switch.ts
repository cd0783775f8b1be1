import { REFINER_SWITCH_BY, type RefinerSwitchBy } from "@sdgate/shared";
import { InvalidArgumentError } from "../errors.ts";

// The switch rule is shared with the edge, which prices the base's and the refiner's steps by it.
export { REFINER_SWITCH_BY, type RefinerSwitchBy, refinerSwitchStep } from "@sdgate/shared";

/** `refiner.switchAt` strictly between 0 and 1 (0 would be the refiner alone, 1 never it), and the rule. */
export function checkRefinerSwitch(switchAt: unknown, by: unknown): RefinerSwitchBy {
  if (typeof switchAt !== "number" || !Number.isFinite(switchAt) || switchAt <= 0 || switchAt >= 1)
    throw new InvalidArgumentError(
      "refiner.switchAt",
      switchAt,
      "has to be a number between 0 and 1 (exclusive)",
    );
  if (by === undefined) return "timestep";
  if (!(REFINER_SWITCH_BY as readonly unknown[]).includes(by))
    throw new InvalidArgumentError(
      "refiner.switchBy",
      by,
      `has to be one of ${REFINER_SWITCH_BY.join(", ")}`,
    );
  return by as RefinerSwitchBy;
}
