import { z } from "zod";

/**
 * The output safety check (issue 16): Stable Diffusion's safety checker (a CLIP vision tower and
 * concept embeddings, as diffusers ships it in `safety_checker/`) scores every image when a model's
 * policy enables it. The policy decides what a flagged image becomes.
 */

/** What happens to a flagged image: replaced (`block`), blurred past recognition (`blur`), or only recorded (`flag`). */
export const SAFETY_ACTIONS = ["block", "blur", "flag"] as const;
export type SafetyAction = (typeof SAFETY_ACTIONS)[number];

/** A model's or alias's setting: one of the actions, or `off` (no check runs). */
export const SAFETY_SETTINGS = ["off", ...SAFETY_ACTIONS] as const;
export type SafetySetting = (typeof SAFETY_SETTINGS)[number];

/** What was done to one image: nothing (`passed`), or the action the policy named. */
export const SAFETY_OUTCOMES = ["passed", "blocked", "blurred", "flagged"] as const;
export type SafetyOutcome = (typeof SAFETY_OUTCOMES)[number];

export const OUTCOME_OF_ACTION: Record<SafetyAction, Exclude<SafetyOutcome, "passed">> = {
  block: "blocked",
  blur: "blurred",
  flag: "flagged",
};

/**
 * One image's safety decision, as the backend reports it and the edge records it: the outcome, the
 * concepts that fired (by index into the checker's concept list, which is not published), and the
 * SHA-256 of the image as generated, before any blur or replacement, so a decision can be matched
 * to an image without keeping the image.
 */
export const imageSafetySchema = z.object({
  outcome: z.enum(SAFETY_OUTCOMES),
  /** Indices of the concepts whose cosine similarity passed their threshold (empty when passed). */
  concepts: z.array(z.number().int().min(0)),
  /** Whether a "special care" concept fired (it lowers every other threshold, as in diffusers). */
  special_care: z.boolean(),
  /** SHA-256 (hex) of the encoded image as generated. */
  image_sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type ImageSafety = z.infer<typeof imageSafetySchema>;
