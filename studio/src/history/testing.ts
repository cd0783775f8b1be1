/** A run's recorded request as GET /v1/runs gives it (resolved: every default applied, the seed fixed), for tests. */
export const RECORDED_REQUEST = {
  model: "tiny",
  prompt: "a harbour",
  negative_prompt: "fog",
  n: 1,
  width: 64,
  height: 64,
  steps: 2,
  guidance_scale: 7,
  scheduler: "euler",
  seed: 42,
  rng: "cpu",
  image: null,
  strength: null,
  mask: null,
  output_format: "webp",
  output_quality: null,
} as const;
