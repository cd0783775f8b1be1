import { crc32, deflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { solidPng } from "../testing-png.ts";
import { parseInfotext, readImageRecipe, readPngText } from "./index.ts";

type Chunk = { type: "tEXt" | "zTXt" | "iTXt"; keyword: string; text: string; compressed?: boolean };

/** A PNG with the given text chunks right after IHDR, as Pillow, A1111 and ComfyUI write them. */
function pngWithText(chunks: readonly Chunk[]): Uint8Array {
  const png = solidPng(8, 8, [10, 20, 30]);
  const ihdrEnd = 8 + 12 + png.readUInt32BE(8);
  const encoded = chunks.map(({ type, keyword, text, compressed }) => {
    const key = Buffer.from(`${keyword}\0`, "latin1");
    const data =
      type === "tEXt"
        ? Buffer.concat([key, Buffer.from(text, "latin1")])
        : type === "zTXt"
          ? Buffer.concat([key, Buffer.of(0), deflateSync(Buffer.from(text, "latin1"))])
          : Buffer.concat([
              key,
              Buffer.of(compressed ? 1 : 0, 0),
              Buffer.from("\0\0"),
              compressed ? deflateSync(Buffer.from(text, "utf8")) : Buffer.from(text, "utf8"),
            ]);
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  });
  return new Uint8Array(Buffer.concat([png.subarray(0, ihdrEnd), ...encoded, png.subarray(ihdrEnd)]));
}

// As A1111 1.10 writes it (create_infotext), with a quoted value and an extension's field.
const A1111 = `masterpiece, a (red:1.2) fox in the snow
at dawn
Negative prompt: blurry, lowres
Steps: 28, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6.5, Seed: 1234567890, Size: 512x768, Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Denoising strength: 0.45, Clip skip: 2, Hires upscale: 1.5, Hires steps: 10, Hires upscaler: Latent, Lora hashes: "fox: a1b2c3, snow: d4e5f6", Version: v1.10.1`;

describe("PNG text chunks", () => {
  it("reads tEXt, zTXt and iTXt (plain and deflated), the first of each keyword", async () => {
    const text = await readPngText(
      pngWithText([
        { type: "tEXt", keyword: "parameters", text: "Ünïcode in Latin-1" },
        { type: "zTXt", keyword: "prompt", text: '{"1": {}}' },
        { type: "iTXt", keyword: "workflow", text: "ünïcödé ✓", compressed: true },
        { type: "iTXt", keyword: "sdgate", text: "plain ✓" },
        { type: "tEXt", keyword: "parameters", text: "second" },
      ]),
    );
    expect(Object.fromEntries(text)).toEqual({
      parameters: "Ünïcode in Latin-1",
      prompt: '{"1": {}}',
      workflow: "ünïcödé ✓",
      sdgate: "plain ✓",
    });
  });

  it("answers nothing for what is not a PNG, and stops at a chunk that runs past the file", async () => {
    expect((await readPngText(new TextEncoder().encode("GIF89a"))).size).toBe(0);
    const png = pngWithText([{ type: "tEXt", keyword: "parameters", text: "x".repeat(100) }]);
    expect((await readPngText(png.subarray(0, 60))).size).toBe(0);
  });
});

describe("A1111's infotext", () => {
  it("reads the prompt, the negative prompt and every field, unquoting quoted ones", () => {
    const info = parseInfotext(A1111);
    expect(info?.prompt).toBe("masterpiece, a (red:1.2) fox in the snow\nat dawn");
    expect(info?.negativePrompt).toBe("blurry, lowres");
    expect(info?.fields.get("Lora hashes")).toBe("fox: a1b2c3, snow: d4e5f6");
    expect(info?.fields.get("Version")).toBe("v1.10.1");
    expect(info?.fields.size).toBe(15);
  });

  it("takes a last line with fewer than three pairs as part of the prompt, as A1111 does", () => {
    expect(parseInfotext("a fox\nstyle: watercolor, mood: calm")).toEqual({
      prompt: "a fox\nstyle: watercolor, mood: calm",
      negativePrompt: "",
      fields: new Map(),
    });
  });

  it("reads a long line without a colon in linear time", () => {
    const started = performance.now();
    expect(parseInfotext(`${"a ".repeat(60_000)}\n${"b, ".repeat(40_000)}`)?.fields.size).toBe(0);
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

describe("an image's recipe", () => {
  it("maps A1111's fields onto the API's, and names what does not carry over", async () => {
    const recipe = await readImageRecipe(pngWithText([{ type: "tEXt", keyword: "parameters", text: A1111 }]));
    expect(recipe).toEqual({
      source: "a1111",
      fields: {
        prompt: "masterpiece, a (red:1.2) fox in the snow\nat dawn",
        negative_prompt: "blurry, lowres",
        steps: 28,
        scheduler: "dpmpp_2m_karras",
        guidance_scale: 6.5,
        seed: 1234567890,
        width: 512,
        height: 768,
        clip_skip: 2,
        hires_scale: 1.5,
        hires_steps: 10,
        hires_strength: 0.45,
      },
      model: { name: "v1-5-pruned-emaonly", hash: "6ce0161689", version: null },
      unmapped: { "Lora hashes": "fox: a1b2c3, snow: d4e5f6", Version: "v1.10.1" },
    });
  });

  it("reads SDXL's size conditioning as sdgate writes it, and drops a value out of range", async () => {
    const sdxl = `a fox\nSteps: 30, Sampler: Euler, CFG scale: 5, Seed: 7, Size: 1024x1024, Original size: 2048x1536, Crop top left: "16, 0", Negative target size: 512x512, Target size: 99999x1`;
    const recipe = await readImageRecipe(pngWithText([{ type: "tEXt", keyword: "parameters", text: sdxl }]));
    expect(recipe?.fields).toMatchObject({
      original_size: { width: 2048, height: 1536 },
      crops_coords_top_left: { top: 16, left: 0 },
      negative_target_size: { width: 512, height: 512 },
    });
    expect(recipe?.fields.target_size).toBeUndefined();
    expect(recipe?.unmapped).toEqual({});
  });

  it("reads A1111's refiner keys, the checkpoint title read back as its name", async () => {
    const refined = `a fox\nSteps: 10, Sampler: Euler, CFG scale: 5, Seed: 7, Size: 1024x1024, Model: sd_xl_base_1.0, Refiner: sd_xl_refiner_1.0 [7440042bbd], Refiner switch at: 0.7, Refiner switch by sampling steps: True`;
    const recipe = await readImageRecipe(
      pngWithText([{ type: "tEXt", keyword: "parameters", text: refined }]),
    );
    expect(recipe?.refiner).toEqual({ name: "sd_xl_refiner_1.0", switch_at: 0.7, switch_by: "steps" });
    expect(recipe?.unmapped).toEqual({});
    const plain = await readImageRecipe(
      pngWithText([{ type: "tEXt", keyword: "parameters", text: refined.replace(/, Refiner.*$/, "") }]),
    );
    expect(plain?.refiner).toBeUndefined();
  });

  it("reads the refiner of sdgate's own recipe, and ignores one without a name", async () => {
    const own = (refiner: unknown) =>
      readImageRecipe(
        pngWithText([
          {
            type: "iTXt",
            keyword: "sdgate",
            text: JSON.stringify({
              engine: "sdgate",
              prompt: "a fox",
              model: { name: "tiny-sdxl" },
              refiner,
            }),
          },
        ]),
      );
    const refiner = {
      name: "tiny-refiner",
      hash: "0a1b2c3d4e",
      family: "sdxl-refiner",
      switchAt: 0.6,
      switchBy: "timestep",
      switched: true,
    };
    expect((await own(refiner))?.refiner).toEqual({
      name: "tiny-refiner",
      switch_at: 0.6,
      switch_by: "timestep",
    });
    expect((await own({ ...refiner, switchAt: 1.5, switchBy: "sideways" }))?.refiner).toEqual({
      name: "tiny-refiner",
      switch_at: null,
      switch_by: "timestep",
    });
    expect((await own({ switchAt: 0.6 }))?.refiner).toBeUndefined();
    // the scores it was given come back; one out of the 0–10 range does not
    expect((await own({ ...refiner, aestheticScore: 7.5, negativeAestheticScore: 11 }))?.refiner).toEqual({
      name: "tiny-refiner",
      switch_at: 0.6,
      switch_by: "timestep",
      aesthetic_score: 7.5,
    });
  });

  it("reads ComfyUI's prompt graph, following links to the encoders and the latent", async () => {
    const graph = {
      "3": {
        class_type: "KSampler",
        inputs: {
          seed: 42,
          steps: 20,
          cfg: 7,
          sampler_name: "dpmpp_2m",
          scheduler: "karras",
          denoise: 1,
          model: ["4", 0],
          positive: ["6", 0],
          negative: ["7", 0],
          latent_image: ["5", 0],
        },
      },
      "4": { class_type: "CheckpointLoaderSimple", inputs: { ckpt_name: "dreamshaper_8.safetensors" } },
      "5": { class_type: "EmptyLatentImage", inputs: { width: 512, height: 640, batch_size: 1 } },
      "6": { class_type: "CLIPTextEncode", inputs: { text: ["8", 0], clip: ["4", 1] } },
      "7": { class_type: "CLIPTextEncode", inputs: { text: "blurry", clip: ["4", 1] } },
      "8": { class_type: "PrimitiveNode", inputs: { value: "a lighthouse at dusk" } },
    };
    const recipe = await readImageRecipe(
      pngWithText([{ type: "tEXt", keyword: "prompt", text: JSON.stringify(graph) }]),
    );
    expect(recipe).toMatchObject({
      source: "comfyui",
      fields: {
        prompt: "a lighthouse at dusk",
        negative_prompt: "blurry",
        seed: 42,
        steps: 20,
        guidance_scale: 7,
        scheduler: "dpmpp_2m_karras",
        width: 512,
        height: 640,
      },
      model: { name: "dreamshaper_8.safetensors" },
    });
  });

  it("reads ComfyUI's UI workflow when the file has no prompt graph", async () => {
    const workflow = {
      nodes: [
        {
          id: 3,
          type: "KSampler",
          widgets_values: [7, "fixed", 12, 5.5, "euler_ancestral", "normal", 1],
          inputs: [
            { name: "positive", link: 10 },
            { name: "negative", link: 11 },
            { name: "latent_image", link: 12 },
          ],
        },
        { id: 6, type: "CLIPTextEncode", widgets_values: ["a red barn"] },
        { id: 7, type: "CLIPTextEncode", widgets_values: [""] },
        { id: 5, type: "EmptyLatentImage", widgets_values: [768, 512, 1] },
      ],
      links: [
        [10, 6, 0, 3, 1, "CONDITIONING"],
        [11, 7, 0, 3, 2, "CONDITIONING"],
        [12, 5, 0, 3, 3, "LATENT"],
      ],
    };
    const recipe = await readImageRecipe(
      pngWithText([{ type: "tEXt", keyword: "workflow", text: JSON.stringify(workflow) }]),
    );
    expect(recipe?.fields).toEqual({
      prompt: "a red barn",
      seed: 7,
      steps: 12,
      guidance_scale: 5.5,
      scheduler: "euler_a",
      width: 768,
      height: 512,
    });
  });

  it("prefers sdgate's own recipe, and answers null for an image that says nothing", async () => {
    const own = {
      engine: "sdgate",
      recipeVersion: 2,
      model: { name: "tiny", hash: "0123456789", family: "sd15", version: "v3" },
      prompt: "a fox",
      negativePrompt: "",
      width: 64,
      height: 64,
      steps: 4,
      guidanceScale: 7.5,
      scheduler: "euler",
      seed: "9007199254740993",
      rng: "philox",
      sizeConditioning: { original_size: { width: 4096, height: 4096 } },
    };
    const recipe = await readImageRecipe(
      pngWithText([
        { type: "tEXt", keyword: "parameters", text: A1111 },
        { type: "iTXt", keyword: "sdgate", text: JSON.stringify(own) },
      ]),
    );
    expect(recipe).toMatchObject({
      source: "sdgate",
      fields: {
        prompt: "a fox",
        steps: 4,
        scheduler: "euler",
        rng: "philox",
        original_size: { width: 4096, height: 4096 },
      },
      model: { name: "tiny", version: "v3" },
    });
    // A seed past what JSON numbers hold exactly is not turned into another one.
    expect(recipe?.fields.seed).toBeUndefined();
    expect(await readImageRecipe(new Uint8Array(solidPng(4, 4, [0, 0, 0])))).toBeNull();
  });
});
