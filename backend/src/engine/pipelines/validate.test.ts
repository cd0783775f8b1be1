import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../errors.ts";
import type { GenerationRequest, RgbImage } from "../types.ts";
import { type ModelLimits, resolveRequest } from "./validate.ts";

const limits: ModelLimits = {
  maxSidePx: 2048,
  fixedSize: undefined,
  maxSteps: 1000,
  canEncodeImages: true,
  defaultScheduler: "euler",
  maxClipSkip: 12,
  takesSizeConditioning: false,
  takesAestheticScore: false,
};
const base: GenerationRequest = {
  prompt: "a fox",
  width: 64,
  height: 64,
  steps: 10,
  guidanceScale: 7.5,
  seed: 1,
};
const image = (width: number, height: number): RgbImage => ({
  rgb: new Uint8Array(width * height * 3),
  width,
  height,
});

/** The error `resolveRequest` throws, as `{ param, value, message }`. */
function rejection(request: GenerationRequest<number | bigint>, modelLimits = limits) {
  try {
    resolveRequest(request, modelLimits);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    const { param, value, message } = error as InvalidArgumentError;
    return { param, value, message };
  }
  throw new Error("expected an InvalidArgumentError");
}

describe("request validation names the field and its value", () => {
  it("rejects sizes that are not multiples of 8, too large for the model, or not the export's fixed size", () => {
    expect(rejection({ ...base, width: 100 })).toMatchObject({ param: "width", value: 100 });
    expect(rejection({ ...base, width: 100 }).message).toMatch(
      /`width` has to be a positive multiple of 8, but is 100/,
    );
    expect(rejection({ ...base, height: 0 })).toMatchObject({ param: "height", value: 0 });
    expect(rejection({ ...base, height: 4096 })).toMatchObject({ param: "height", value: 4096 });
    expect(rejection({ ...base, height: 4096 }).message).toMatch(/at most 2048/);
    const fixed = { ...limits, fixedSize: { width: 512, height: 512 } };
    expect(rejection({ ...base, width: 512 }, fixed)).toMatchObject({ param: "height", value: 64 });
  });

  it("rejects a prompt or negative prompt nested deeper than the contract's 64", () => {
    expect(rejection({ ...base, prompt: "(".repeat(1000) })).toMatchObject({
      param: "prompt",
      value: "1000 deep",
    });
    expect(rejection({ ...base, negativePrompt: `${"[".repeat(65)}x` })).toMatchObject({
      param: "negativePrompt",
      value: "65 deep",
    });
    expect(resolveRequest({ ...base, prompt: `${"(".repeat(64)}x` }, limits).prompt).toHaveLength(65);
  });

  it("rejects 0 and 10,000 steps", () => {
    expect(rejection({ ...base, steps: 0 })).toMatchObject({ param: "steps", value: 0 });
    expect(rejection({ ...base, steps: 10_000 })).toMatchObject({ param: "steps", value: 10_000 });
    expect(rejection({ ...base, steps: 2.5 })).toMatchObject({ param: "steps" });
  });

  it("rejects an unknown scheduler and an unknown rng, and resolves A1111/ComfyUI names", () => {
    expect(rejection({ ...base, scheduler: "heun" })).toMatchObject({ param: "scheduler", value: "heun" });
    expect(rejection({ ...base, rng: "gpu" as "philox" })).toMatchObject({ param: "rng", value: "gpu" });
    expect(resolveRequest({ ...base, scheduler: "DPM++ 2M Karras" }, limits).scheduler).toBe(
      "dpmpp_2m_karras",
    );
    expect(resolveRequest(base, { ...limits, defaultScheduler: "lcm" }).scheduler).toBe("lcm");
  });

  it("rejects a strength outside (0, 1], one that leaves no step, and one without an image", () => {
    const withImage = { ...base, image: image(64, 64) };
    for (const strength of [0, -0.5, 1.5, Number.NaN]) {
      expect(rejection({ ...withImage, strength })).toMatchObject({ param: "strength" });
    }
    expect(rejection({ ...withImage, steps: 10, strength: 0.05 }).message).toMatch(
      /no denoising step with 10 steps/,
    );
    expect(rejection({ ...base, strength: 0.5 })).toMatchObject({ param: "strength", value: 0.5 });
  });

  it("rejects an image or mask of the wrong size, a mask without an image, and an image the model cannot encode", () => {
    expect(rejection({ ...base, image: image(32, 64) })).toMatchObject({ param: "image", value: "32×64" });
    expect(rejection({ ...base, image: image(64, 64), mask: image(64, 32) })).toMatchObject({
      param: "mask",
      value: "64×32",
    });
    expect(rejection({ ...base, mask: image(64, 64) })).toMatchObject({ param: "mask" });
    expect(rejection({ ...base, image: image(64, 64) }, { ...limits, canEncodeImages: false })).toMatchObject(
      {
        param: "image",
      },
    );
    const masked = { ...base, image: image(64, 64), mask: image(64, 64) };
    expect(rejection({ ...masked, inpaintingFill: "blur" as never })).toMatchObject({
      param: "inpaintingFill",
      value: "blur",
    });
    expect(rejection({ ...base, image: image(64, 64), inpaintingFill: "fill" })).toMatchObject({
      param: "inpaintingFill",
    });
    expect(resolveRequest({ ...masked, inpaintingFill: "latent_noise" }, limits).inpaintingFill).toBe(
      "latent_noise",
    );
    expect(resolveRequest(masked, limits).inpaintingFill).toBe("original");
    const short = { rgb: new Uint8Array(10), width: 64, height: 64 };
    expect(rejection({ ...base, image: short })).toMatchObject({ param: "image", value: "10 bytes" });
  });

  it("rejects bad seeds and counts, and accepts seeds up to 2^64 − 1 as bigints", () => {
    expect(rejection({ ...base, seed: -1 })).toMatchObject({ param: "seed", value: -1 });
    expect(rejection({ ...base, seed: 2 ** 53 })).toMatchObject({ param: "seed" });
    expect(rejection({ ...base, seed: 2n ** 64n })).toMatchObject({ param: "seed" });
    expect(rejection({ ...base, seed: 2n ** 64n - 1n, n: 2 })).toMatchObject({ param: "seed" });
    expect(rejection({ ...base, n: 0 })).toMatchObject({ param: "n", value: 0 });
    expect(resolveRequest({ ...base, seed: 2n ** 64n - 2n, n: 2 }, limits).seeds).toEqual([
      2n ** 64n - 2n,
      2n ** 64n - 1n,
    ]);
    expect(resolveRequest({ ...base, seed: 7, n: 3 }, limits).seeds).toEqual([7, 8, 9]);
  });

  it("picks the task and diffusers' default strengths (img2img 0.8, inpainting 1)", () => {
    expect(resolveRequest(base, limits)).toMatchObject({ task: "txt2img", strength: null, rng: "torch_cpu" });
    expect(resolveRequest({ ...base, image: image(64, 64) }, limits)).toMatchObject({
      task: "img2img",
      strength: 0.8,
    });
    expect(resolveRequest({ ...base, image: image(64, 64), mask: image(64, 64) }, limits)).toMatchObject({
      task: "inpaint",
      strength: 1,
    });
  });
});
