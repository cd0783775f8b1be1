import sharp from "sharp";
import { describe, expect, it } from "vitest";
import type { GeneratedImage, ImageMetadata } from "../types.ts";
import { decodeImage } from "./decode-image.ts";
import { encodeImage } from "./encode-image.ts";
import { readImageMetadata } from "./read-metadata.ts";

const image: GeneratedImage = {
  seed: 1,
  width: 16,
  height: 8,
  rgb: Uint8Array.from({ length: 16 * 8 * 3 }, (_, i) => (i * 37) % 256),
};
const metadata: ImageMetadata = {
  parameters: "a fox, snow\nNegative prompt: blurry\nSteps: 20, Sampler: Euler, CFG scale: 7.5, Seed: 42",
  recipe: { prompt: "a fox, snow", steps: 20, seed: 42, scheduler: "euler" },
};

describe("encodeImage", () => {
  it("writes a lossless PNG with the same bytes every time", async () => {
    const first = await encodeImage(image, "png");
    expect(Buffer.from(first).equals(Buffer.from(await encodeImage(image, "png")))).toBe(true);
    const decoded = await sharp(first).raw().toBuffer({ resolveWithObject: true });
    expect(decoded.info).toMatchObject({ width: 16, height: 8, channels: 3 });
    expect(Buffer.from(decoded.data).equals(Buffer.from(image.rgb))).toBe(true);
  });

  it("writes WebP, JPEG and AVIF that decode to the image's size", async () => {
    for (const format of ["webp", "jpeg", "avif"] as const) {
      const bytes = await encodeImage(image, format, 80);
      const meta = await sharp(bytes).metadata();
      expect(meta.format === format || (format === "avif" && meta.format === "heif")).toBe(true);
      expect([meta.width, meta.height]).toEqual([16, 8]);
    }
  });

  it("rejects a quality outside 1–100 and pixels that do not fit the size", async () => {
    await expect(encodeImage(image, "jpeg", 0)).rejects.toThrow(/quality/);
    await expect(encodeImage(image, "jpeg", { quality: 101 })).rejects.toThrow(/quality/);
    await expect(encodeImage({ ...image, width: 17 }, "png")).rejects.toThrow(/17×8×3/);
  });
});

describe("image metadata", () => {
  it("round-trips A1111 parameters and the recipe through PNG text chunks, deterministically", async () => {
    const png = await encodeImage({ ...image, metadata }, "png");
    expect(Buffer.from(png).equals(Buffer.from(await encodeImage({ ...image, metadata }, "png")))).toBe(true);
    expect(await readImageMetadata(png)).toEqual(metadata);
    const decoded = await sharp(png).raw().toBuffer();
    expect(Buffer.from(decoded).equals(Buffer.from(image.rgb))).toBe(true);
  });

  it("keeps text that is not Latin-1 (an iTXt chunk, as Pillow writes it)", async () => {
    const unicode = { parameters: "宇宙飛行士 🚀\nSteps: 4", recipe: { prompt: "宇宙飛行士 🚀" } };
    const png = await encodeImage(image, "png", { metadata: unicode });
    expect(Buffer.from(png).includes(Buffer.from("iTXtparameters"))).toBe(true);
    expect(await readImageMetadata(png)).toEqual(unicode);
  });

  it("writes the same metadata into WebP, JPEG and AVIF (XMP, and EXIF UserComment for A1111)", async () => {
    for (const format of ["webp", "jpeg", "avif"] as const) {
      const bytes = await encodeImage(image, format, { quality: 90, metadata });
      expect([format, await readImageMetadata(bytes)]).toEqual([format, metadata]);
      const exif = (await sharp(bytes).metadata()).exif;
      expect(Buffer.from(exif ?? []).includes(Buffer.from("ASCII\0\0\0a fox, snow"))).toBe(true);
    }
  });

  it("writes nothing when told so, and uses the image's own metadata by default", async () => {
    expect(
      await readImageMetadata(await encodeImage({ ...image, metadata }, "png", { metadata: null })),
    ).toEqual({});
    expect(await readImageMetadata(await encodeImage({ ...image, metadata }, "webp"))).toEqual(metadata);
  });
});

describe("decodeImage", () => {
  it("gives back the RGB pixels of a PNG, dropping alpha", async () => {
    expect(await decodeImage(await encodeImage(image, "png"))).toEqual({
      rgb: image.rgb,
      width: 16,
      height: 8,
    });
    const rgba = await sharp(image.rgb, { raw: { width: 16, height: 8, channels: 3 } })
      .ensureAlpha(0.5)
      .png()
      .toBuffer();
    const decoded = await decodeImage(rgba);
    expect(Buffer.from(decoded.rgb).equals(Buffer.from(image.rgb))).toBe(true);
  });

  it("gives RGB for a greyscale image", async () => {
    const grey = await sharp(new Uint8Array(4 * 4).fill(200), { raw: { width: 4, height: 4, channels: 1 } })
      .png()
      .toBuffer();
    expect([...(await decodeImage(grey)).rgb]).toEqual(new Array(4 * 4 * 3).fill(200));
  });
});
