import { guidanceScaleSchema, MAX_TOKENIZE_STEPS, type PromptTokenizeBody } from "@sdgate/shared";

/**
 * How the engine will read the text: over how many steps (prompt editing switches at steps), with
 * what guidance (without it, at most 1, `AND` is text), and whether it is a negative prompt (not
 * split at `AND`).
 */
export interface TokenReading {
  steps: number;
  guidanceScale: number;
  negative: boolean;
}

/**
 * The reading as the tokenize call's fields, from a form that may be half-typed: steps and guidance
 * brought within the API's bounds (so a count never fails on them), guidance left to the model's
 * default while it is no number at all.
 *
 * @example
 * tokenizeFields({ steps: 400, guidanceScale: 1, negative: false }); // { steps: 150, guidance_scale: 1, negative: false }
 */
export function tokenizeFields(
  reading: TokenReading,
): Pick<PromptTokenizeBody, "steps" | "guidance_scale" | "negative"> {
  const steps = Math.min(Math.max(Math.round(reading.steps) || 1, 1), MAX_TOKENIZE_STEPS);
  const { minValue, maxValue } = guidanceScaleSchema;
  if (!Number.isFinite(reading.guidanceScale)) return { steps, negative: reading.negative };
  const guidance = Math.min(Math.max(reading.guidanceScale, minValue ?? 0), maxValue ?? Infinity);
  return { steps, guidance_scale: guidance, negative: reading.negative };
}
