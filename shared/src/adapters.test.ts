import { describe, expect, it } from "vitest";
import { lorasInPrompt, withoutLoraTags } from "./adapters.ts";
import { parseGenerationRequest, resolveGenerationRequest } from "./generation-request.ts";
import { TINY_MODEL } from "./models.ts";

const INK = "a".repeat(64);
const CANNY = "c".repeat(64);
const catalog = { loras: new Map([["ink", INK]]), controlnets: new Map([["canny-sd15", CANNY]]) };

function resolve(body: object) {
  const parsed = parseGenerationRequest({ prompt: "a cat", ...body });
  if (!parsed.ok) return parsed;
  return resolveGenerationRequest(parsed.value, TINY_MODEL, 1, catalog);
}

describe("LoRAs per request", () => {
  it("reads A1111's <lora:name:weight> tags, weight 1 when left out, and leaves them out of the text", () => {
    expect(lorasInPrompt("a <lora:ink:0.7> cat <lora:ink>")).toEqual({
      ok: true,
      value: [
        { name: "ink", weight: 0.7 },
        { name: "ink", weight: 1 },
      ],
    });
    expect(withoutLoraTags("a <lora:ink:0.7> cat")).toBe("a  cat");
    expect(lorasInPrompt("<lora:ink:lots>")).toEqual({ ok: false, tag: "<lora:ink:lots>" });
  });

  it("resolves the field's LoRAs then the prompt's to their digests, keeping the prompt as written", () => {
    const resolved = resolve({ prompt: "a cat <lora:ink:0.5>", lora: [{ name: "ink" }] });
    expect(resolved).toMatchObject({
      ok: true,
      value: {
        prompt: "a cat <lora:ink:0.5>",
        lora: [
          { name: "ink", digest: INK, weight: 1 },
          { name: "ink", digest: INK, weight: 0.5 },
        ],
      },
    });
    // Without adapters the resolved request is as it was: no new keys, so its canonical form and
    // cache key are unchanged.
    const plain = resolve({});
    expect(plain.ok && Object.keys(plain.value)).not.toContain("lora");
    expect(plain.ok && Object.keys(plain.value)).not.toContain("controlnet");
  });

  it("names the field of a LoRA the server does not have", () => {
    expect(resolve({ lora: [{ name: "ink" }, { name: "nope" }] })).toMatchObject({
      ok: false,
      error: { param: "lora.1.name", message: expect.stringContaining("'nope'") },
    });
    expect(resolve({ prompt: "<lora:nope:1>" })).toMatchObject({ ok: false, error: { param: "prompt" } });
    expect(resolve({ prompt: "x <lora:ink:1>".repeat(9) })).toMatchObject({
      ok: false,
      error: { param: "prompt", message: expect.stringContaining("at most 8") },
    });
  });
});

describe("ControlNet units", () => {
  const image = "iVBORw0KGgo=";

  it("applies A1111's defaults and the model's digest", () => {
    expect(resolve({ controlnet: [{ model: "canny-sd15", image, preprocessor: "canny" }] })).toMatchObject({
      ok: true,
      value: {
        controlnet: [
          {
            model: "canny-sd15",
            digest: CANNY,
            weight: 1,
            guidance_start: 0,
            guidance_end: 1,
            control_mode: "balanced",
            preprocessor: "canny",
            threshold_low: 100,
            threshold_high: 200,
            resize_mode: "crop_and_resize",
          },
        ],
      },
    });
  });

  it("names the field at fault", () => {
    const unit = { model: "canny-sd15", image };
    expect(resolve({ controlnet: [unit, { ...unit, model: "depth" }] })).toMatchObject({
      ok: false,
      error: { param: "controlnet.1.model" },
    });
    expect(resolve({ controlnet: [{ ...unit, guidance_start: 0.5, guidance_end: 0.5 }] })).toMatchObject({
      ok: false,
      error: { param: "controlnet.0.guidance_end" },
    });
    expect(resolve({ controlnet: [{ ...unit, threshold_low: 50 }] })).toMatchObject({
      ok: false,
      error: { param: "controlnet.0.threshold_low" },
    });
    expect(resolve({ controlnet: [{ ...unit, weight: 3 }] })).toMatchObject({
      ok: false,
      error: { param: "controlnet.0.weight" },
    });
    expect(resolve({ return_control_maps: true })).toMatchObject({
      ok: false,
      error: { param: "return_control_maps" },
    });
  });
});
