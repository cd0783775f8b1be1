import { isSdgateError, SdgateError } from "@sdgate/shared";

/** sdgate's request fields under the A1111 field each came from (see `request.ts`). */
const A1111_FIELDS: Readonly<Record<string, string>> = {
  model: "override_settings.sd_model_checkpoint",
  n: "batch_size",
  guidance_scale: "cfg_scale",
  scheduler: "sampler_name",
  clip_skip: "override_settings.CLIP_stop_at_last_layers",
  hires_scale: "hr_scale",
  hires_steps: "hr_second_pass_steps",
  hires_strength: "denoising_strength",
  image: "init_images",
  strength: "denoising_strength",
  lora: "prompt",
};

/**
 * The A1111 field a problem with sdgate's `param` comes from: `guidance_scale` is `cfg_scale`, and a
 * ControlNet unit's field is named by the unit's place among `args` (`controlnetArgs[i]`, as disabled
 * units were left out). Fields with the same name in both (`prompt`, `steps`, `width`) stay.
 *
 * @example
 * a1111Param("controlnet.0.weight", [2], "controlnet") // "alwayson_scripts.controlnet.args.2.weight"
 */
export function a1111Param(param: string, controlnetArgs: readonly number[], scriptName: string): string {
  const unit = /^controlnet\.(\d+)(\.[\w.]+)?$/.exec(param);
  if (unit) {
    const arg = controlnetArgs[Number(unit[1])] ?? Number(unit[1]);
    const field = (unit[2] ?? "")
      .replace(/^\.preprocessor/, ".module")
      .replace(/^\.threshold_low/, ".threshold_a")
      .replace(/^\.threshold_high/, ".threshold_b");
    return `alwayson_scripts.${scriptName}.args.${arg}${field}`;
  }
  if (param === "controlnet") return `alwayson_scripts.${scriptName}.args`;
  return A1111_FIELDS[param] ?? param;
}

/**
 * An error from sdgate's own checks of the mapped request (the generation route's), retold in A1111's
 * field names, its message's `'field'` too, so an A1111 client's user sees the field they set.
 */
export function inA1111Terms(error: unknown, controlnetArgs: readonly number[], scriptName: string): unknown {
  if (!isSdgateError(error) || error.param === null) return error;
  const param = a1111Param(error.param, controlnetArgs, scriptName);
  if (param === error.param) return error;
  return new SdgateError(error.code, error.message.replaceAll(`'${error.param}'`, `'${param}'`), {
    param,
    headers: { ...error.headers },
    cause: error,
  });
}
