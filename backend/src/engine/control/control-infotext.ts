import type { ControlNetUnit } from "./control-unit.ts";

const RESIZE_MODE_NAMES = {
  just_resize: "Just Resize",
  crop_and_resize: "Crop and Resize",
  resize_and_fill: "Resize and Fill",
} as const;

const CONTROL_MODE_NAMES = {
  balanced: "Balanced",
  prompt: "My prompt is more important",
  controlnet: "ControlNet is more important",
} as const;

/** Python's `str()` of a float, as the extension's `serialize_value` writes its float fields. */
function pythonFloat(value: number): string {
  return Number.isInteger(value) ? `${value}.0` : String(value);
}

/**
 * A unit as sd-webui-controlnet writes it into the infotext (`ControlNetUnit.serialize`,
 * internal_controlnet/args.py): its 11 `infotext_fields`, each `Capitalized Name: value`, joined by
 * ", ", under the key `ControlNet <i>` (scripts/infotext.py). The model reads `name [hash]` as the
 * extension lists models, with the first 8 hex digits of the files' digest for A1111's short hash.
 * sdgate runs the preprocessor on the image already resized to the output (what "Pixel Perfect"
 * does), so the processor resolution is the output's shorter side. Thresholds are -1 where unused,
 * the extension's default.
 */
export function controlNetInfotext(unit: ControlNetUnit, width: number, height: number): string {
  const { record } = unit;
  const fields: [string, string][] = [
    ["Module", record.module],
    ["Model", `${record.model} [${record.digest.slice(0, 8)}]`],
    ["Weight", pythonFloat(unit.weight)],
    ["Resize Mode", RESIZE_MODE_NAMES[record.resizeMode]],
    ["Processor Res", String(Math.min(width, height))],
    ["Threshold A", record.thresholds === undefined ? "-1" : pythonFloat(record.thresholds.low)],
    ["Threshold B", record.thresholds === undefined ? "-1" : pythonFloat(record.thresholds.high)],
    ["Guidance Start", pythonFloat(unit.guidanceStart)],
    ["Guidance End", pythonFloat(unit.guidanceEnd)],
    ["Pixel Perfect", "True"],
    ["Control Mode", CONTROL_MODE_NAMES[unit.controlMode]],
  ];
  return fields.map(([key, value]) => `${key}: ${value}`).join(", ");
}

/** A unit in sdgate's recipe: everything that decides its effect, with the control image as a hash. */
export function controlNetRecipe(unit: ControlNetUnit): Record<string, unknown> {
  const { record } = unit;
  return {
    model: record.model,
    digest: record.digest,
    preprocessor: record.module,
    ...(record.thresholds === undefined
      ? {}
      : { thresholdLow: record.thresholds.low, thresholdHigh: record.thresholds.high }),
    resizeMode: record.resizeMode,
    weight: unit.weight,
    guidanceStart: unit.guidanceStart,
    guidanceEnd: unit.guidanceEnd,
    controlMode: unit.controlMode,
    imageSha256: record.imageSha256,
  };
}
