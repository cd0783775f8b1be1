import { describe, expect, it } from "vitest";
import { reproducibleBody, sha256Hex } from "./reproduce.ts";
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

  it("says plainly that an img2img run's input image was not kept", () => {
    const again = reproducibleBody({ ...RECORDED, image: "(input image)", strength: 0.6 });
    expect(again).toMatchObject({ ok: false, reason: expect.stringMatching(/input image/) });
  });

  it("hashes bytes as hex", async () => {
    expect(await sha256Hex(new Uint8Array([]))).toBe(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
  });
});
