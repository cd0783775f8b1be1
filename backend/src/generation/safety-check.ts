import { createHash } from "node:crypto";
import { type ImageSafety, OUTCOME_OF_ACTION, type SafetyAction } from "@sdgate/shared";
import { blackImage, blurImage, type GeneratedImage, type SafetyChecker } from "../engine/index.ts";

export interface SafetyCheckResult {
  /** Each image's bytes as they go to the client: as generated, or blocked or blurred. */
  bytes: Uint8Array[];
  decisions: ImageSafety[];
  /** Scoring plus applying the action (re-encoding included). */
  ms: number;
}

/**
 * Score each image with the model's safety checker and apply the policy's action to the flagged
 * ones: `block` replaces it with a black image (as diffusers does), `blur` blurs it past recognition,
 * `flag` leaves it. Each decision carries the SHA-256 of the image's bytes as generated.
 */
export async function applySafetyCheck(
  checker: SafetyChecker,
  action: SafetyAction,
  images: readonly GeneratedImage[],
  encoded: readonly Uint8Array[],
  encode: (image: GeneratedImage) => Promise<Uint8Array>,
): Promise<SafetyCheckResult> {
  const startedMs = performance.now();
  const verdicts = await checker.check(images);
  const checked = await Promise.all(
    images.map(async (image, i) => {
      const generated = encoded[i] as Uint8Array;
      const verdict = verdicts[i];
      if (verdict === undefined) throw new Error(`the safety checker gave no verdict for image ${i}`);
      const decision: ImageSafety = {
        outcome: verdict.flagged ? OUTCOME_OF_ACTION[action] : "passed",
        concepts: verdict.concepts,
        special_care: verdict.specialCare,
        image_sha256: createHash("sha256").update(generated).digest("hex"),
      };
      if (!verdict.flagged || action === "flag") return { bytes: generated, decision };
      const replaced = action === "block" ? blackImage(image) : await blurImage(image);
      return { bytes: await encode(replaced), decision };
    }),
  );
  return {
    bytes: checked.map((c) => c.bytes),
    decisions: checked.map((c) => c.decision),
    ms: performance.now() - startedMs,
  };
}
