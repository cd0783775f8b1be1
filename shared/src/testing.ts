import type { ResolvedGenerationRequest } from "./generation-request.ts";

/**
 * A fully resolved request for tests (`@sdgate/shared/testing`): small and fast on the tiny model,
 * every field present, so a test states only the fields it is about.
 *
 * @example
 * const request = exampleResolvedRequest({ width: 128, seed: 7 });
 */
export function exampleResolvedRequest(
  fields: Partial<ResolvedGenerationRequest> = {},
): ResolvedGenerationRequest {
  return {
    model: "tiny",
    prompt: "a lighthouse on a cliff at sunset",
    negative_prompt: "",
    n: 1,
    width: 64,
    height: 64,
    steps: 4,
    guidance_scale: 7.5,
    scheduler: "euler",
    seed: 1,
    rng: "torch_cpu",
    image: null,
    strength: null,
    mask: null,
    output_format: "png",
    output_quality: null,
    ...fields,
  };
}
