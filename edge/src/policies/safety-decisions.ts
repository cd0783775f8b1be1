import type { ImageSafety } from "@sdgate/shared";

/** One image's safety decision as its generation's audit row keeps it: never the image itself. */
export interface SafetyDecision extends ImageSafety {
  seed: number;
}

/**
 * The safety decisions of a generation's images, for its audit row's `detail` (issue 16: "each
 * decision is recorded with the image's hash"): `{ safety: "[…]" }`, the decisions as one JSON text
 * (an audit detail holds flat values), or nothing when no check ran.
 *
 * @example
 * detail: { cache: "MISS", ...safetyDecisions(record.images) }
 */
export function safetyDecisions(images: ReadonlyArray<{ seed: number; safety?: ImageSafety | undefined }>): {
  safety?: string;
} {
  const decisions: SafetyDecision[] = images.flatMap(({ seed, safety }) =>
    safety ? [{ seed, ...safety }] : [],
  );
  return decisions.length === 0 ? {} : { safety: JSON.stringify(decisions) };
}

/** The decisions in a `b64_json` response body; parsed only when the request asked for the check. */
export function safetyDecisionsOfBody(body: string): { safety?: string } {
  const parsed = JSON.parse(body) as { data?: Array<{ seed: number; safety?: ImageSafety }> };
  return safetyDecisions(parsed.data ?? []);
}
