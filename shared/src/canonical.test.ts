import { describe, expect, it } from "vitest";
import { canonicalJson, canonicalRequest, requestHash } from "./canonical.ts";
import type { ResolvedGenerationRequest } from "./generation-request.ts";

const base: ResolvedGenerationRequest = {
  model: "tiny",
  prompt: "a red fox",
  negative_prompt: "",
  n: 1,
  width: 256,
  height: 256,
  steps: 20,
  guidance_scale: 7.5,
  scheduler: "euler",
  seed: 7,
  rng: "torch_cpu",
  image: null,
  strength: null,
  mask: null,
  output_format: "png",
  output_quality: null,
};

describe("canonical request", () => {
  it("does not depend on the order fields arrived in", () => {
    const reordered = Object.fromEntries(Object.entries(base).reverse()) as ResolvedGenerationRequest;
    expect(canonicalRequest(reordered)).toBe(canonicalRequest(base));
  });

  it("sorts nested keys and drops undefined", () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: undefined } })).toBe(
      '{"a":{"d":[2,{"e":0,"f":1}]},"b":1}',
    );
  });

  it("hashes requests that differ in any parameter differently", async () => {
    const hash = await requestHash(base);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(await requestHash({ ...base })).toBe(hash);
    expect(await requestHash({ ...base, seed: 8 })).not.toBe(hash);
    expect(await requestHash({ ...base, guidance_scale: 7.0 })).not.toBe(hash);
  });

  it("refuses numbers JSON cannot carry", () => {
    expect(() => canonicalJson({ x: Number.NaN })).toThrow();
  });
});
