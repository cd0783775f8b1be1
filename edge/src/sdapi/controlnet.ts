import type {
  ControlMode,
  ControlNetPreprocessor,
  ControlNetUnitRequest,
  ControlResizeMode,
  RequestProblem,
  Result,
} from "@sdgate/shared";
import { checkpointName } from "./checkpoint.ts";

// The ControlNet extension's API units (Mikubill/sd-webui-controlnet `internal_controlnet/external_code.py`,
// `ControlNetUnit`), as A1111 clients send them in `alwayson_scripts.controlnet.args`.

const CONTROL_MODES: Readonly<Record<string, ControlMode>> = {
  "0": "balanced",
  balanced: "balanced",
  "1": "prompt",
  "my prompt is more important": "prompt",
  "2": "controlnet",
  "controlnet is more important": "controlnet",
};

const RESIZE_MODES: Readonly<Record<string, ControlResizeMode>> = {
  "0": "just_resize",
  "just resize": "just_resize",
  "1": "crop_and_resize",
  "crop and resize": "crop_and_resize",
  "inner fit (scale to fit)": "crop_and_resize",
  "2": "resize_and_fill",
  "resize and fill": "resize_and_fill",
  "outer fit (shrink to fit)": "resize_and_fill",
};

/** The extension's module names for the preprocessors sdgate runs; its depth and pose variants run sdgate's. */
export function preprocessorOf(module: string): ControlNetPreprocessor | null {
  const name = module.trim().toLowerCase();
  if (name === "none" || name === "") return "none";
  if (name === "canny") return "canny";
  if (name === "depth" || name.startsWith("depth_")) return "depth";
  if (name === "openpose" || name.startsWith("openpose_")) return "openpose";
  return null;
}

type Unit = Record<string, unknown>;
/** The units, and for each the index of the `args` entry it came from (disabled ones are left out). */
/**
 * The units sdgate runs; `args`: the index in `alwayson_scripts.<script>.args` each came from;
 * `savesMap`: whether the unit's detected map goes into the answer's `images` (its
 * `save_detected_map`, true unless the client turns it off, as in the extension).
 */
type Units = Result<{ units: ControlNetUnitRequest[]; args: number[]; savesMap: boolean[] }, RequestProblem>;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const fail = (param: string, message: string) =>
  ({ ok: false, error: { param, message: `Invalid '${param}': ${message}` } }) as const;

function enumOf<T>(table: Readonly<Record<string, T>>, value: unknown): T | null | undefined {
  if (value === undefined || value === null) return undefined;
  return Object.hasOwn(table, String(value).toLowerCase())
    ? (table[String(value).toLowerCase()] ?? null)
    : null;
}

/** A unit's image: a base64 string (data: URL or not), or `{ image, mask }` without a mask. */
function imageOf(unit: Unit, fallback: string | null, at: string): Result<string, RequestProblem> {
  const given = unit.image ?? unit.input_image;
  const problem = (message: string, param = `${at}.image`) => fail(param, message);
  if (given === undefined || given === null || given === "") {
    // The extension uses img2img's input image when a unit has none.
    if (fallback !== null) return { ok: true, value: fallback };
    return problem("a ControlNet unit needs an image in txt2img.");
  }
  if (typeof given === "string") return { ok: true, value: given };
  if (isObject(given) && typeof given.image === "string") {
    if (given.mask !== undefined && given.mask !== null && given.mask !== "")
      return problem("ControlNet masks are not supported.", `${at}.image.mask`);
    return { ok: true, value: given.image };
  }
  return problem("must be a base64 image or { image, mask }.");
}

function numberOf(unit: Unit, name: string): number | undefined {
  const value = unit[name];
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function unitOf(
  unit: Unit,
  at: string,
  fallback: string | null,
): Result<ControlNetUnitRequest | null, RequestProblem> {
  if (unit.enabled === false) return { ok: true, value: null };
  const model = typeof unit.model === "string" ? checkpointName(unit.model) : "";
  // The extension's "None" model runs nothing (a preprocessor preview at most).
  if (model === "" || model.toLowerCase() === "none") return { ok: true, value: null };
  const preprocessor = preprocessorOf(typeof unit.module === "string" ? unit.module : "none");
  if (preprocessor === null)
    return fail(
      `${at}.module`,
      `sdgate runs the 'none', 'canny', 'depth' and 'openpose' preprocessors, not '${String(unit.module)}'.`,
    );
  const image = imageOf(unit, fallback, at);
  if (!image.ok) return image;
  const controlMode = enumOf(CONTROL_MODES, unit.control_mode);
  if (controlMode === null)
    return fail(`${at}.control_mode`, "must be 0, 1, 2 or the extension's name for one.");
  const resizeMode = enumOf(RESIZE_MODES, unit.resize_mode);
  if (resizeMode === null)
    return fail(`${at}.resize_mode`, "must be 0, 1, 2 or the extension's name for one.");
  const weight = numberOf(unit, "weight");
  const start = numberOf(unit, "guidance_start");
  const end = numberOf(unit, "guidance_end");
  // The extension's thresholds are -1 for "the module's default".
  const low = preprocessor === "canny" ? numberOf(unit, "threshold_a") : undefined;
  const high = preprocessor === "canny" ? numberOf(unit, "threshold_b") : undefined;
  return {
    ok: true,
    value: {
      model,
      image: image.value,
      ...(weight === undefined ? {} : { weight }),
      ...(start === undefined ? {} : { guidance_start: start }),
      ...(end === undefined ? {} : { guidance_end: end }),
      ...(controlMode === undefined ? {} : { control_mode: controlMode }),
      preprocessor,
      ...(low === undefined || low < 0 ? {} : { threshold_low: Math.round(low) }),
      ...(high === undefined || high < 0 ? {} : { threshold_high: Math.round(high) }),
      ...(resizeMode === undefined ? {} : { resize_mode: resizeMode }),
    },
  };
}

/**
 * `alwayson_scripts.controlnet` (`{ args: [unit, …] }`) as sdgate's `controlnet` units: disabled
 * units and units without a model are left out; `initImage` stands in for a unit's missing image
 * (img2img). Each problem names the unit's field (`alwayson_scripts.controlnet.args.0.module`, with
 * the script's name as the client wrote it);
 * sdgate's own checks (registered model, weight range) come after, in the generation request.
 *
 * @example
 * controlNetUnitsOf({ args: [{ model: "canny [d14c016b]", module: "canny", image: b64 }] }, null)
 */
export function controlNetUnitsOf(
  script: unknown,
  initImage: string | null,
  scriptName = "controlnet",
): Units {
  if (script === undefined || script === null)
    return { ok: true, value: { units: [], args: [], savesMap: [] } };
  const at = `alwayson_scripts.${scriptName}.args`;
  if (!isObject(script) || !Array.isArray(script.args))
    return fail(at, "must be a list of ControlNet units.");
  const units: ControlNetUnitRequest[] = [];
  const args: number[] = [];
  const savesMap: boolean[] = [];
  for (const [index, unit] of script.args.entries()) {
    if (!isObject(unit)) return fail(`${at}.${index}`, "must be an object.");
    const mapped = unitOf(unit, `${at}.${index}`, initImage);
    if (!mapped.ok) return mapped;
    if (mapped.value === null) continue;
    units.push(mapped.value);
    args.push(index);
    savesMap.push(unit.save_detected_map !== false);
  }
  return { ok: true, value: { units, args, savesMap } };
}
