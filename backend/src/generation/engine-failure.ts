import { isSdgateError } from "@sdgate/shared";
import { isInvalidArgumentError } from "../engine/index.ts";
import type { CancelReason, EngineFailure } from "./engine.ts";

/** The engine names arguments in camelCase; the API (and so the client's `param`) in snake_case. */
const API_PARAM: Record<string, string> = {
  negativePrompt: "negative_prompt",
  guidanceScale: "guidance_scale",
  clipSkip: "clip_skip",
  inpaintingFill: "inpainting_fill",
  "hires.scale": "hires_scale",
  "hires.strength": "hires_strength",
  "hires.steps": "hires_steps",
  aestheticScore: "aesthetic_score",
  negativeAestheticScore: "negative_aesthetic_score",
  "refiner.pipeline": "refiner.model",
  "refiner.switchAt": "refiner.switch_at",
  "refiner.switchBy": "refiner.switch_by",
  controlNet: "controlnet",
};

/**
 * A job's expected failure as the client should see it: an argument the engine refuses is a 400
 * naming the API field; a bad input image keeps its own error; a cancelled or expired job says so.
 * Anything else is `undefined`: an unexpected error, for the caller to log and answer with a 500.
 */
export function engineFailure(
  error: unknown,
  cancelled: CancelReason | undefined,
): EngineFailure | undefined {
  if (isInvalidArgumentError(error)) {
    const param = API_PARAM[error.param] ?? error.param;
    const message = error.message.replace(`\`${error.param}\``, `'${param}'`);
    return { code: "invalid_request", message: `Invalid '${param}': ${message}.`, param };
  }
  if (isSdgateError(error)) return { code: error.code, message: error.message, param: error.param };
  if (cancelled !== undefined) return cancelledFailure(cancelled);
  return undefined;
}

/** A deadline is a `timeout` (504); a cancel is `cancelled` (409), which the edge never retries. */
export function cancelledFailure(reason: CancelReason): EngineFailure {
  return reason === "deadline"
    ? { code: "timeout", message: "The job passed its deadline before it finished.", param: null }
    : { code: "cancelled", message: "The job was cancelled before it finished.", param: null };
}

export const INTERNAL_FAILURE: EngineFailure = {
  code: "internal_error",
  message: "Internal error.",
  param: null,
};
