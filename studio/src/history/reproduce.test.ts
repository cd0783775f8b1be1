import { describe, expect, it } from "vitest";
import { base64Of, reproducibleBody, sha256Hex } from "./reproduce.ts";
import { RECORDED_REQUEST } from "./testing.ts";

const RECORDED = { ...RECORDED_REQUEST, model_version: { version: "v1", digest: "sha256:ab" } };

describe("Reproduce", () => {
  it("asks again every field the run recorded, as a generation body", () => {
    const { image: _i, strength: _s, mask: _m, output_quality: _q, ...asked } = RECORDED_REQUEST;
    expect(reproducibleBody({ ...RECORDED, hires: { scale: 2, strength: 0.5, steps: 3 } })).toEqual({
      ok: true,
      body: { ...asked, hires_scale: 2, hires_strength: 0.5, hires_steps: 3 },
    });
  });

  it("sends an img2img run's own input bytes, mask and strength again, by the digests it recorded", () => {
    const [image, mask] = [`sha256:${"a".repeat(64)}`, `sha256:${"b".repeat(64)}`];
    const inputs = new Map([
      [image, "aW1hZ2U="],
      [mask, "bWFzaw=="],
    ]);
    const recorded = { ...RECORDED, image: { $input: image }, mask: { $input: mask }, strength: 0.6 };
    const again = reproducibleBody(recorded, inputs);
    expect(again).toMatchObject({ ok: true, body: { image: "aW1hZ2U=", mask: "bWFzaw==", strength: 0.6 } });
  });

  it("asks again for each LoRA by name and weight, leaving the prompt's <lora:…> tags to name their own", () => {
    const recorded = {
      ...RECORDED,
      prompt: "a fox <lora:ink:0.5>",
      lora: [
        { name: "film", digest: "sha256:aa", weight: -0.3 },
        { name: "ink", digest: "sha256:bb", weight: 0.5 },
      ],
    };
    const again = reproducibleBody(recorded);
    expect(again.ok && again.body.lora).toEqual([{ name: "film", weight: -0.3 }]);
    const onlyTags = reproducibleBody({ ...recorded, lora: recorded.lora.slice(1) });
    expect(onlyTags.ok && onlyTags.body).not.toHaveProperty("lora");
  });

  it("gives each ControlNet unit its image back and leaves its model's digest to the server", () => {
    const control = `sha256:${"c".repeat(64)}`;
    const unit = { model: "canny-tiny", weight: 1, preprocessor: "canny", resize_mode: "crop_and_resize" };
    const recorded = {
      ...RECORDED,
      controlnet: [{ ...unit, digest: "sha256:ff", image: { $input: control } }],
    };
    const again = reproducibleBody(recorded, new Map([[control, "Y29udHJvbA=="]]));
    expect(again.ok && again.body.controlnet).toEqual([{ ...unit, image: "Y29udHJvbA==" }]);
  });

  it("says which input is gone, and that a run from before inputs were kept cannot run again", () => {
    const gone = reproducibleBody({ ...RECORDED, image: { $input: `sha256:${"d".repeat(64)}` } }, new Map());
    expect(gone).toMatchObject({ ok: false, reason: expect.stringMatching(/sha256:dddd.*no longer kept/) });
    const old = reproducibleBody({ ...RECORDED, image: "(input image)", strength: 0.6 });
    expect(old).toMatchObject({ ok: false, reason: expect.stringMatching(/input images were not kept/) });
  });

  it("writes bytes as base64", () => {
    expect(base64Of(new Uint8Array([0, 255, 104, 105]))).toBe("AP9oaQ==");
    expect(base64Of(new Uint8Array(70_000)).length).toBe(93_336);
  });

  it("hashes bytes as hex", async () => {
    expect(await sha256Hex(new Uint8Array([]))).toBe(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
  });
});
