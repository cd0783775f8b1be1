import { describe, expect, it } from "vitest";
import { controlNetUnitsOf } from "./controlnet.ts";
import { a1111Request, iterationRequest } from "./request.ts";
import { samplerOf } from "./samplers.ts";

const drawn = () => 1234;
const txt2img = (body: object, checkpoint: string | null = null) =>
  a1111Request(body, "txt2img", checkpoint, drawn);

function mapped(body: object, mode: "txt2img" | "img2img" = "txt2img", checkpoint: string | null = null) {
  const result = a1111Request(body, mode, checkpoint, drawn);
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

function problem(body: object, mode: "txt2img" | "img2img" = "txt2img") {
  const result = a1111Request(body, mode, null, drawn);
  if (result.ok) throw new Error("expected a refusal");
  return result.error;
}

describe("an A1111 txt2img body as sdgate's request", () => {
  it("maps the common fields, asks for PNG as base64, and ignores what A1111 would ignore", () => {
    const { request, iterations, seed } = mapped({
      prompt: "a fox",
      negative_prompt: "blurry",
      seed: 42,
      steps: 12,
      cfg_scale: 6.5,
      width: 512,
      height: 768,
      sampler_name: "Euler a",
      batch_size: 2,
      n_iter: 3,
      send_images: true,
      save_images: false,
      url: "http://127.0.0.1:7860",
      do_not_save_grid: true,
    });
    expect(request).toEqual({
      prompt: "a fox",
      negative_prompt: "blurry",
      n: 2,
      width: 512,
      height: 768,
      steps: 12,
      guidance_scale: 6.5,
      scheduler: "euler_a",
      seed: 42,
      response_format: "b64_json",
      output_format: "png",
    });
    expect(iterations).toBe(3);
    expect(seed).toBe(42);
  });

  it("numbers seeds across iterations as A1111's all_seeds do (seed + iteration × batch_size)", () => {
    const value = mapped({ prompt: "a fox", seed: 100, batch_size: 2, n_iter: 3 });
    expect([0, 1, 2].map((i) => iterationRequest(value, i).seed)).toEqual([100, 102, 104]);
  });

  it("draws one seed for seed -1 (and for none), so every iteration counts on from it", () => {
    expect(mapped({ prompt: "a fox", seed: -1 }).seed).toBe(1234);
    expect(mapped({ prompt: "a fox" }).request.seed).toBe(1234);
  });

  it("takes the model from override_settings (a title's [hash] stripped), else the key's option", () => {
    expect(
      mapped({ prompt: "x", override_settings: { sd_model_checkpoint: "sd15 [6ce0161689]" } }).request.model,
    ).toBe("sd15");
    expect(mapped({ prompt: "x" }, "txt2img", "tiny").request.model).toBe("tiny");
    expect(mapped({ prompt: "x" }).request.model).toBeUndefined();
    expect(
      mapped({ prompt: "x", override_settings: { CLIP_stop_at_last_layers: 2 } }).request.clip_skip,
    ).toBe(2);
  });

  it("maps hires fix: hr_scale or hr_resize_x/y, hr_second_pass_steps, denoising_strength", () => {
    const base = { prompt: "x", width: 512, height: 512, enable_hr: true, hr_upscaler: "Latent" };
    expect(
      mapped({ ...base, hr_scale: 1.5, hr_second_pass_steps: 8, denoising_strength: 0.6 }).request,
    ).toMatchObject({
      hires_scale: 1.5,
      hires_steps: 8,
      hires_strength: 0.6,
    });
    expect(mapped({ ...base, hr_resize_x: 1024, hr_resize_y: 1024 }).request.hires_scale).toBe(2);
    // Without enable_hr, A1111 ignores every hr_* field.
    expect(
      mapped({ prompt: "x", hr_scale: 3, hr_upscaler: "R-ESRGAN 4x+" }).request.hires_scale,
    ).toBeUndefined();
  });

  it("maps refiner_checkpoint (a title's [hash] stripped) and refiner_switch_at; 'None' is no refiner", () => {
    const body = { prompt: "a fox", refiner_checkpoint: "xl-refiner [7440042bbd]", refiner_switch_at: 0.7 };
    expect(mapped(body).request.refiner).toEqual({ model: "xl-refiner", switch_at: 0.7 });
    expect(mapped({ ...body, refiner_switch_at: null }).request.refiner).toEqual({ model: "xl-refiner" });
    expect(mapped({ ...body, refiner_checkpoint: "None" }).request.refiner).toBeUndefined();
    expect(mapped({ ...body, refiner_checkpoint: "" }).request.refiner).toBeUndefined();
    const img2img = mapped({ ...body, init_images: ["iVBORw0KGgo="] }, "img2img");
    expect(img2img.request.refiner).toEqual({ model: "xl-refiner", switch_at: 0.7 });
    expect(problem({ ...body, refiner_switch_at: 1 }).param).toBe("refiner_switch_at");
  });

  it("refuses what sdgate cannot do, naming A1111's field", () => {
    expect(problem({ prompt: "x", styles: ["cinematic"] }).param).toBe("styles");
    expect(problem({ prompt: "x", enable_hr: true, hr_upscaler: "R-ESRGAN 4x+" }).param).toBe("hr_upscaler");
    expect(problem({ prompt: "x", enable_hr: true, hr_resize_x: 1024, hr_resize_y: 600 }).param).toBe(
      "hr_resize_x",
    );
    expect(problem({ prompt: "x", restore_faces: true }).param).toBe("restore_faces");
    expect(problem({ prompt: "x", subseed_strength: 0.3 }).param).toBe("subseed_strength");
    expect(problem({ prompt: "x", script_name: "x/y/z plot" }).param).toBe("script_name");
    expect(problem({ prompt: "x", override_settings: { sd_vae: "vae-ft-mse.safetensors" } }).param).toBe(
      "override_settings.sd_vae",
    );
    expect(problem({ prompt: "x", alwayson_scripts: { ADetailer: { args: [] } } }).param).toBe(
      "alwayson_scripts.ADetailer",
    );
    expect(problem({ prompt: "x", steps: "many" }).param).toBe("steps");
    expect(problem({ prompt: "x", seed: -2 }).param).toBe("seed");
    expect(problem({ prompt: "x", sampler_name: "Heun" }).param).toBe("sampler_name");
    expect(problem({ prompt: "x", sampler_name: "Euler a", scheduler: "Karras" }).param).toBe("scheduler");
  });
});

describe("an A1111 img2img body", () => {
  const image = "iVBORw0KGgo=";

  it("takes init_images[0], mask and denoising_strength (A1111's default 0.75)", () => {
    expect(mapped({ prompt: "x", init_images: [image] }, "img2img").request).toMatchObject({
      image,
      strength: 0.75,
    });
    expect(
      mapped(
        { prompt: "x", init_images: [image], mask: image, inpainting_fill: 1, denoising_strength: 0.5 },
        "img2img",
      ).request,
    ).toMatchObject({ image, mask: image, inpainting_fill: "original", strength: 0.5 });
  });

  it("maps inpainting_fill 0–3 to masked content, A1111's API default 0 ('fill') when left out", () => {
    const fillOf = (body: object) =>
      mapped({ prompt: "x", init_images: [image], mask: image, ...body }, "img2img").request.inpainting_fill;
    expect(fillOf({})).toBe("fill");
    expect([0, 1, 2, 3].map((inpainting_fill) => fillOf({ inpainting_fill }))).toEqual([
      "fill",
      "original",
      "latent_noise",
      "latent_nothing",
    ]);
    // Without a mask A1111 ignores it: sdgate sends no fill, which would need a mask.
    const unmasked = mapped({ prompt: "x", init_images: [image], inpainting_fill: 2 }, "img2img").request;
    expect("inpainting_fill" in unmasked).toBe(false);
    expect(
      problem({ prompt: "x", init_images: [image], mask: image, inpainting_fill: 4 }, "img2img").param,
    ).toBe("inpainting_fill");
  });

  it("refuses a missing image, another resize mode, and an inverted mask", () => {
    expect(problem({ prompt: "x" }, "img2img").param).toBe("init_images");
    expect(problem({ prompt: "x", init_images: [image], resize_mode: 1 }, "img2img").param).toBe(
      "resize_mode",
    );
    expect(
      problem(
        { prompt: "x", init_images: [image], mask: image, inpainting_fill: 1, inpainting_mask_invert: 1 },
        "img2img",
      ).param,
    ).toBe("inpainting_mask_invert");
  });
});

describe("A1111 sampler names", () => {
  it("join sampler_name and the separate scheduler (A1111 ≥ 1.9), or take the older joined name", () => {
    expect(samplerOf("DPM++ 2M", "Karras")).toEqual({ ok: true, value: "dpmpp_2m_karras" });
    expect(samplerOf("DPM++ 2M Karras", undefined)).toEqual({ ok: true, value: "dpmpp_2m_karras" });
    expect(samplerOf("DPM++ 2M SDE", "Karras")).toEqual({ ok: true, value: "dpmpp_2m_sde_karras" });
    expect(samplerOf("Euler", "Automatic")).toEqual({ ok: true, value: "euler" });
    expect(samplerOf(null, "Karras")).toEqual({ ok: true, value: null });
  });
});

describe("ControlNet units from alwayson_scripts.controlnet.args", () => {
  const b64 = "iVBORw0KGgo=";

  it("map the extension's fields, names and numbers to sdgate's unit", () => {
    const units = controlNetUnitsOf(
      {
        args: [
          {
            enabled: true,
            module: "canny",
            model: "control_v11p_sd15_canny [d14c016b]",
            image: `data:image/png;base64,${b64}`,
            weight: 0.8,
            guidance_start: 0.1,
            guidance_end: 0.9,
            control_mode: "ControlNet is more important",
            resize_mode: 0,
            threshold_a: 50,
            threshold_b: 150,
            processor_res: 512,
          },
          { enabled: false, module: "depth", model: "depth", image: b64 },
          {
            module: "openpose_full",
            model: "pose",
            input_image: { image: b64, mask: null },
            control_mode: 1,
            save_detected_map: false,
          },
          { module: "depth_midas", model: "None", image: b64 },
        ],
      },
      null,
    );
    expect(units).toEqual({
      ok: true,
      value: {
        args: [0, 2],
        savesMap: [true, false],
        units: [
          {
            model: "control_v11p_sd15_canny",
            image: `data:image/png;base64,${b64}`,
            weight: 0.8,
            guidance_start: 0.1,
            guidance_end: 0.9,
            control_mode: "controlnet",
            preprocessor: "canny",
            threshold_low: 50,
            threshold_high: 150,
            resize_mode: "just_resize",
          },
          { model: "pose", image: b64, control_mode: "prompt", preprocessor: "openpose" },
        ],
      },
    });
  });

  it("use img2img's image for a unit without one, and refuse what sdgate does not run, by field", () => {
    expect(controlNetUnitsOf({ args: [{ model: "depth", module: "depth" }] }, b64)).toMatchObject({
      ok: true,
      value: { units: [{ image: b64, preprocessor: "depth" }] },
    });
    const at = "alwayson_scripts.controlnet.args.0";
    const param = (unit: object) => {
      const result = controlNetUnitsOf({ args: [unit] }, null);
      return result.ok ? null : result.error.param;
    };
    expect(param({ model: "depth", module: "depth" })).toBe(`${at}.image`);
    expect(param({ model: "lineart", module: "lineart_realistic", image: b64 })).toBe(`${at}.module`);
    expect(param({ model: "c", module: "canny", image: b64, control_mode: 7 })).toBe(`${at}.control_mode`);
    expect(param({ model: "c", module: "canny", image: b64, resize_mode: "Stretch" })).toBe(
      `${at}.resize_mode`,
    );
    expect(param({ model: "c", module: "canny", image: { image: b64, mask: b64 } })).toBe(`${at}.image.mask`);
  });

  it('come under webuiapi\'s script name ("ControlNet") too', () => {
    const result = txt2img({
      prompt: "x",
      alwayson_scripts: { ControlNet: { args: [{ model: "c", module: "blur", image: b64 }] } },
    });
    expect(result.ok ? null : result.error.param).toBe("alwayson_scripts.ControlNet.args.0.module");
  });

  it("reach the generation request", () => {
    const result = txt2img({
      prompt: "x",
      alwayson_scripts: { controlnet: { args: [{ model: "c [0123abcd]", module: "none", image: b64 }] } },
    });
    expect(result.ok && result.value.request.controlnet).toEqual([
      { model: "c", image: b64, preprocessor: "none" },
    ]);
  });
});
