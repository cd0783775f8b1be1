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

/**
 * A seeded pseudo-random source for fuzz tests (mulberry32: one 32-bit state, fast, well spread): the
 * same seed gives the same run, so a failure replays.
 *
 * @example
 * const random = seededRandom(20261206);
 * const coin = random() < 0.5;
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
