import { describe, expect, it } from "vitest";
import { requestHash } from "./canonical.ts";
import {
  MAX_PROMPT_NESTING,
  parseGenerationRequest,
  problemFromZod,
  resolvedGenerationRequestSchema,
  resolveGenerationRequest,
} from "./generation-request.ts";
import { TINY_MODEL } from "./models.ts";

function problemParam(body: unknown): string | null | undefined {
  const parsed = parseGenerationRequest(body);
  return parsed.ok ? undefined : parsed.error.param;
}

describe("generation request contract", () => {
  it("accepts an OpenAI Images request unchanged", () => {
    const parsed = parseGenerationRequest({ model: "tiny", prompt: "a red fox", n: 2, size: "256x256" });
    expect(parsed.ok).toBe(true);
  });

  it("names the field that is wrong", () => {
    expect(problemParam({ prompt: "" })).toBe("prompt");
    expect(problemParam({})).toBe("prompt");
    expect(problemParam({ prompt: "x", width: 100 })).toBe("width");
    expect(problemParam({ prompt: "x", n: 0 })).toBe("n");
    expect(problemParam({ prompt: "x", steps: 2.5 })).toBe("steps");
    expect(problemParam({ prompt: "x", seed: -1 })).toBe("seed");
    expect(problemParam({ prompt: "x", size: "big" })).toBe("size");
    expect(problemParam({ prompt: "x", scheduler: "magic" })).toBe("scheduler");
    expect(problemParam({ prompt: "x", rng: "cuda" })).toBe("rng");
    expect(problemParam({ prompt: "x", output_format: "gif" })).toBe("output_format");
    expect(problemParam({ prompt: "x", promt: "typo" })).toBe("promt");
    expect(problemParam([1, 2])).toBeNull();
  });

  it("refuses a prompt or negative prompt nested deeper than MAX_PROMPT_NESTING, naming it", () => {
    const deep = `${"(".repeat(MAX_PROMPT_NESTING + 1)}x`;
    const refused = parseGenerationRequest({ prompt: deep });
    expect(refused.ok ? null : refused.error).toEqual({
      param: "prompt",
      message: "Invalid 'prompt': must not nest ( and [ more than 64 deep (it nests 65 deep).",
    });
    expect(problemParam({ prompt: "x", negative_prompt: "[".repeat(1000) })).toBe("negative_prompt");
    expect(problemParam({ prompt: `${"(".repeat(MAX_PROMPT_NESTING)}x` })).toBeUndefined();
    expect(problemParam({ prompt: `${"\\(".repeat(1000)}x` })).toBeUndefined();
    const resolved = resolveGenerationRequest({ prompt: "x" }, TINY_MODEL, 1);
    if (!resolved.ok) throw new Error("expected ok");
    for (const field of ["prompt", "negative_prompt"] as const) {
      const checked = resolvedGenerationRequestSchema.safeParse({ ...resolved.value, [field]: deep });
      expect(checked.success ? null : problemFromZod(checked.error).param).toBe(field);
    }
  });

  it("fills every default from the model and keeps the seed", () => {
    const parsed = parseGenerationRequest({ prompt: "a red fox" });
    if (!parsed.ok) throw new Error("expected ok");
    const resolved = resolveGenerationRequest(parsed.value, TINY_MODEL, 42);
    expect(resolved).toEqual({
      ok: true,
      value: {
        model: "tiny",
        prompt: "a red fox",
        negative_prompt: "",
        n: 1,
        width: TINY_MODEL.defaults.width,
        height: TINY_MODEL.defaults.height,
        steps: TINY_MODEL.defaults.steps,
        guidance_scale: TINY_MODEL.defaults.guidance_scale,
        scheduler: "euler",
        seed: 42,
        rng: "torch_cpu",
        image: null,
        strength: null,
        mask: null,
        output_format: "png",
        output_quality: null,
      },
    });
  });

  it("accepts A1111, ComfyUI and diffusers scheduler names and resolves them", () => {
    for (const [given, canonical] of [
      ["DPM++ 2M Karras", "dpmpp_2m_karras"],
      ["Euler a", "euler_a"],
      ["euler_ancestral", "euler_a"],
      ["dpmpp_2m_sde  karras", "dpmpp_2m_sde_karras"],
      ["DDIMScheduler", "ddim"],
      ["lcm", "lcm"],
    ]) {
      const parsed = parseGenerationRequest({ prompt: "x", scheduler: given });
      expect(parsed.ok && parsed.value.scheduler).toBe(canonical);
    }
    expect(parseGenerationRequest({ prompt: "x", scheduler: "constructor" }).ok).toBe(false);
    const unknown = parseGenerationRequest({ prompt: "x", scheduler: "heun" });
    expect(unknown.ok ? null : unknown.error.message).toMatch(/unknown scheduler 'heun'/);
  });

  it("takes an init image with a default strength, and refuses a mask or strength without one", () => {
    const image = "iVBORw0KGgo=";
    const withImage = resolveGenerationRequest({ prompt: "x", image }, TINY_MODEL, 1);
    expect(withImage.ok && [withImage.value.image, withImage.value.strength]).toEqual([image, 0.8]);
    const dataUrl = parseGenerationRequest({
      prompt: "x",
      image: `data:image/png;base64,${image}`,
      strength: 0.3,
    });
    expect(dataUrl.ok).toBe(true);
    expect(problemParam({ prompt: "x", image: "not base64!" })).toBe("image");
    expect(problemParam({ prompt: "x", image, strength: 0 })).toBe("strength");
    const orphanMask = resolveGenerationRequest({ prompt: "x", mask: image }, TINY_MODEL, 1);
    expect(orphanMask.ok ? null : orphanMask.error.param).toBe("mask");
    const orphanStrength = resolveGenerationRequest({ prompt: "x", strength: 0.5 }, TINY_MODEL, 1);
    expect(orphanStrength.ok ? null : orphanStrength.error.param).toBe("strength");
  });

  it("takes A1111's clip skip, leaving the default 1 out of the resolved request and its hash", async () => {
    const resolve = (body: object) => {
      const parsed = parseGenerationRequest({ prompt: "a fox", ...body });
      if (!parsed.ok) throw new Error(parsed.error.message);
      const resolved = resolveGenerationRequest(parsed.value, TINY_MODEL, 7);
      if (!resolved.ok) throw new Error(resolved.error.message);
      return resolved.value;
    };
    const plain = resolve({});
    expect("clip_skip" in plain).toBe(false);
    expect(await requestHash(resolve({ clip_skip: 1 }))).toBe(await requestHash(plain));
    const skipped = resolve({ clip_skip: 2 });
    expect(skipped.clip_skip).toBe(2);
    expect(await requestHash(skipped)).not.toBe(await requestHash(plain));
    for (const clip_skip of [0, 24, 1.5, "2"]) {
      const parsed = parseGenerationRequest({ prompt: "a fox", clip_skip });
      expect(parsed.ok ? null : parsed.error.param).toBe("clip_skip");
    }
  });

  it("takes A1111's masked content with a mask, leaving the default 'original' out of the resolved request", async () => {
    const image = "iVBORw0KGgo=";
    const resolve = (body: object) => {
      const parsed = parseGenerationRequest({ prompt: "a fox", image, ...body });
      if (!parsed.ok) throw new Error(parsed.error.message);
      return resolveGenerationRequest(parsed.value, TINY_MODEL, 7);
    };
    const plain = resolve({ mask: image });
    const original = resolve({ mask: image, inpainting_fill: "original" });
    if (!plain.ok || !original.ok) throw new Error("a mask with 'original' is a valid request");
    expect("inpainting_fill" in plain.value).toBe(false);
    expect(await requestHash(original.value)).toBe(await requestHash(plain.value));
    for (const mode of ["fill", "latent_noise", "latent_nothing"] as const) {
      const filled = resolve({ mask: image, inpainting_fill: mode });
      expect(filled.ok && filled.value.inpainting_fill).toBe(mode);
      if (filled.ok) expect(await requestHash(filled.value)).not.toBe(await requestHash(plain.value));
    }
    const orphan = resolve({ inpainting_fill: "fill" });
    expect(orphan.ok ? null : orphan.error.param).toBe("inpainting_fill");
    expect(problemParam({ prompt: "x", image, mask: image, inpainting_fill: 0 })).toBe("inpainting_fill");
    expect(problemParam({ prompt: "x", image, mask: image, inpainting_fill: "blur" })).toBe(
      "inpainting_fill",
    );
  });

  it("takes A1111's hires fix as one optional part of the resolved request, with its defaults", async () => {
    const resolve = (body: object) => {
      const parsed = parseGenerationRequest({ prompt: "a fox", size: "256x256", steps: 20, ...body });
      if (!parsed.ok) return parsed;
      return resolveGenerationRequest(parsed.value, TINY_MODEL, 7);
    };
    const plain = resolve({});
    const hires = resolve({ hires_scale: 2 });
    expect(plain.ok && "hires" in plain.value).toBe(false);
    expect(hires.ok ? hires.value.hires : null).toEqual({ scale: 2, strength: 0.7, steps: 20 });
    expect(resolve({ hires_scale: 1.5, hires_strength: 0.4, hires_steps: 12 })).toMatchObject({
      ok: true,
      value: { hires: { scale: 1.5, strength: 0.4, steps: 12 } },
    });
    if (plain.ok && hires.ok) expect(await requestHash(hires.value)).not.toBe(await requestHash(plain.value));
    const param = (body: object) => {
      const result = resolve(body);
      return result.ok ? null : result.error.param;
    };
    expect(param({ hires_strength: 0.5 })).toBe("hires_strength");
    expect(param({ hires_steps: 10 })).toBe("hires_steps");
    expect(param({ hires_scale: 1 })).toBe("hires_scale");
    expect(param({ hires_scale: 4.5 })).toBe("hires_scale");
    // tiny: at most 1024 a side
    expect(param({ hires_scale: 4, size: "512x512" })).toBe("hires_scale");
    expect(param({ hires_scale: 2, hires_steps: 151 })).toBe("hires_steps");
  });

  it("takes size as WxH and refuses a size that disagrees with width/height", () => {
    const fromSize = resolveGenerationRequest({ prompt: "x", size: "128x64" }, TINY_MODEL, 1);
    expect(fromSize.ok && [fromSize.value.width, fromSize.value.height]).toEqual([128, 64]);
    const conflict = resolveGenerationRequest({ prompt: "x", size: "128x64", width: 64 }, TINY_MODEL, 1);
    expect(conflict.ok ? null : conflict.error.param).toBe("size");
  });

  it("enforces the model's limits, naming the field", () => {
    const tooWide = resolveGenerationRequest({ prompt: "x", width: 4096 }, TINY_MODEL, 1);
    expect(tooWide.ok ? null : tooWide.error.param).toBe("width");
    const oddSize = resolveGenerationRequest({ prompt: "x", size: "100x100" }, TINY_MODEL, 1);
    expect(oddSize.ok ? null : oddSize.error.param).toBe("size");
    const tooManySteps = resolveGenerationRequest({ prompt: "x", steps: 1000 }, TINY_MODEL, 1);
    expect(tooManySteps.ok ? null : tooManySteps.error.param).toBe("steps");
  });
});

describe("requests that would run no step", () => {
  it("are refused naming strength or hires_strength", () => {
    const img2img = resolveGenerationRequest(
      { prompt: "a fox", steps: 1, image: "iVBORw0KGgo=", strength: 0.5 },
      TINY_MODEL,
      1,
    );
    expect(img2img).toMatchObject({ ok: false, error: { param: "strength" } });
    const hires = resolveGenerationRequest(
      { prompt: "a fox", size: "64x64", hires_scale: 2, hires_steps: 1, hires_strength: 0.7 },
      TINY_MODEL,
      1,
    );
    expect(hires).toMatchObject({ ok: false, error: { param: "hires_strength" } });
    expect(
      resolveGenerationRequest(
        { prompt: "a fox", steps: 2, image: "iVBORw0KGgo=", strength: 0.5 },
        TINY_MODEL,
        1,
      ).ok,
    ).toBe(true);
  });
});
