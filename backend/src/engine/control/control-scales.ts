import type { ControlMode } from "@sdgate/shared";

/** The guidance window, as pricing counts it too. */
export { controlUnitActive as unitActive } from "@sdgate/shared";

/** A1111's soft injection: residual i of 13 is scaled by 0.825^(12 − i), the mid block by 1. */
const SOFT_INJECTION_BASE = 0.825;
const SD15_CONTROL_OUTPUTS = 13;

/**
 * Each residual's scale, the down blocks' then the mid block's (sd-webui-controlnet scripts/hook.py):
 * `weight` for every one in "Balanced"; in "My prompt is more important" and "ControlNet is more
 * important" (both set `soft_injection`, scripts/controlnet.py) `weight · 0.825^(12 − i)` over the 13
 * of SD 1.x, cut to the first `count` (the extension keeps the first 10 for SDXL's 10 outputs).
 * `forceSoft`: the extension softens canny and mlsd units in the hires pass whatever the mode.
 */
export function residualScales(
  weight: number,
  mode: ControlMode,
  count: number,
  forceSoft = false,
): number[] {
  const soft = mode !== "balanced" || forceSoft;
  return Array.from({ length: count }, (_, i) =>
    soft ? weight * SOFT_INJECTION_BASE ** (Math.max(SD15_CONTROL_OUTPUTS, count) - 1 - i) : weight,
  );
}

/**
 * Which rows of a UNet call get the unit's residuals: all in "Balanced" and "My prompt is more
 * important"; with "ControlNet is more important" (`cfg_injection`) only the conditional rows
 * (`control * cond_mark`), so the unconditional half runs without control and CFG pushes towards it.
 * A guided call's row 0 is the unconditional one; an unguided call has only conditional rows.
 */
export function rowWeights(mode: ControlMode, rows: number, guided: boolean): number[] {
  return Array.from({ length: rows }, (_, row) => (mode === "controlnet" && guided && row === 0 ? 0 : 1));
}
