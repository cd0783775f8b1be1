import {
  DEFAULT_AESTHETIC_SCORE,
  DEFAULT_NEGATIVE_AESTHETIC_SCORE,
  MAX_AESTHETIC_SCORE,
  type SizeConditioning,
  sizeConditioningTimeIds,
} from "@sdgate/shared";
import { InvalidArgumentError } from "../errors.ts";

/** The aesthetic scores an SDXL refiner's `time_ids` end with, one per guidance row. */
export interface AestheticScores {
  positive: number;
  negative: number;
}

/** diffusers' `StableDiffusionXLImg2ImgPipeline.__call__` defaults: `aesthetic_score=6.0`, `negative_aesthetic_score=2.5`. */
export const DEFAULT_AESTHETIC_SCORES: AestheticScores = {
  positive: DEFAULT_AESTHETIC_SCORE,
  negative: DEFAULT_NEGATIVE_AESTHETIC_SCORE,
};

/**
 * A request's aesthetic scores with diffusers' defaults, for a model that takes them (the refiner);
 * undefined for one that does not, which refuses them by name.
 */
export function resolveAestheticScores(
  request: { aestheticScore?: number; negativeAestheticScore?: number },
  takesAestheticScore: boolean,
): AestheticScores | undefined {
  const given = [
    ["aestheticScore", request.aestheticScore],
    ["negativeAestheticScore", request.negativeAestheticScore],
  ] as const;
  for (const [param, value] of given) {
    if (value === undefined) continue;
    if (!takesAestheticScore)
      throw new InvalidArgumentError(
        param,
        value,
        "applies only to an SDXL refiner (its time_ids end with it)",
      );
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > MAX_AESTHETIC_SCORE)
      throw new InvalidArgumentError(param, value, `has to be a number from 0 to ${MAX_AESTHETIC_SCORE}`);
  }
  if (!takesAestheticScore) return undefined;
  return {
    positive: request.aestheticScore ?? DEFAULT_AESTHETIC_SCORES.positive,
    negative: request.negativeAestheticScore ?? DEFAULT_AESTHETIC_SCORES.negative,
  };
}

/**
 * The refiner's five `time_ids` per row, as diffusers' `StableDiffusionXLImg2ImgPipeline._get_add_time_ids`
 * makes them with `requires_aesthetics_score`: original size + crop + aesthetic score (no target
 * size), the negative row from the `negative_*` fields and the negative score.
 */
export function refinerTimeIds(
  sizeConditioning: SizeConditioning,
  width: number,
  height: number,
  scores: AestheticScores,
): { positive: number[]; negative: number[] } {
  const ids = sizeConditioningTimeIds(sizeConditioning, width, height);
  // the first four of the base's six: original (h, w), crop (top, left)
  return {
    positive: [...ids.positive.slice(0, 4), scores.positive],
    negative: [...ids.negative.slice(0, 4), scores.negative],
  };
}
