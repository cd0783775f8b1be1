import { describe, expect, it } from "vitest";
import { formatA1111Parameters } from "./a1111-parameters.ts";
import { readExifUserComment } from "./exif-user-comment.ts";

const base = {
  prompt: "a red fox in the snow",
  negativePrompt: "",
  steps: 20,
  sampler: "Euler",
  cfgScale: 7.5,
  seed: 42,
  width: 512,
  height: 512,
  modelHash: "6ce0161689",
  model: "v1-5-pruned-emaonly",
};

describe("A1111 infotext", () => {
  it("lays out the fields as create_infotext does", () => {
    expect(formatA1111Parameters(base)).toBe(
      "a red fox in the snow\nSteps: 20, Sampler: Euler, CFG scale: 7.5, Seed: 42, Size: 512x512, Model hash: 6ce0161689, Model: v1-5-pruned-emaonly",
    );
  });

  it("adds the negative prompt line, denoising strength and RNG when present", () => {
    expect(
      formatA1111Parameters({
        ...base,
        negativePrompt: "blurry, lowres",
        denoisingStrength: 0.75,
        rng: "CPU",
        seed: 2n ** 64n - 1n,
      }),
    ).toBe(
      "a red fox in the snow\nNegative prompt: blurry, lowres\nSteps: 20, Sampler: Euler, CFG scale: 7.5, Seed: 18446744073709551615, Size: 512x512, Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Denoising strength: 0.75, RNG: CPU",
    );
  });

  it("writes Clip skip after the denoising strength, and only above 1", () => {
    expect(formatA1111Parameters({ ...base, denoisingStrength: 0.5, clipSkip: 2, rng: "CPU" })).toMatch(
      /, Denoising strength: 0\.5, Clip skip: 2, RNG: CPU$/,
    );
    expect(formatA1111Parameters({ ...base, clipSkip: 1 })).not.toContain("Clip skip");
  });

  it("quotes values with a comma, colon or newline as JSON (infotext_utils.quote)", () => {
    expect(formatA1111Parameters({ ...base, model: "my: model, v2" })).toContain('Model: "my: model, v2"');
  });
});

describe("EXIF UserComment", () => {
  it("reads piexif's UNICODE (UTF-16BE) comments, as A1111 writes them", () => {
    const text = "宇宙 fox";
    const comment = Buffer.concat([
      Buffer.from("UNICODE\0", "latin1"),
      Buffer.from(text, "utf16le").swap16(),
    ]);
    // Big-endian TIFF: IFD0 with one ExifIFD pointer, Exif IFD with one UserComment (UNDEFINED).
    const tiff = Buffer.alloc(8 + 18 + 18 + comment.length);
    tiff.write("MM", 0, "latin1");
    tiff.writeUInt16BE(42, 2);
    tiff.writeUInt32BE(8, 4);
    tiff.writeUInt16BE(1, 8);
    tiff.writeUInt16BE(0x8769, 10);
    tiff.writeUInt16BE(4, 12);
    tiff.writeUInt32BE(1, 14);
    tiff.writeUInt32BE(26, 18);
    tiff.writeUInt16BE(1, 26);
    tiff.writeUInt16BE(0x9286, 28);
    tiff.writeUInt16BE(7, 30);
    tiff.writeUInt32BE(comment.length, 32);
    tiff.writeUInt32BE(44, 36);
    comment.copy(tiff, 44);
    expect(readExifUserComment(Buffer.concat([Buffer.from("Exif\0\0", "latin1"), tiff]))).toBe(text);
  });
});
