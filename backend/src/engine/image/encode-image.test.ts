import sharp from "sharp";
import { describe, expect, it } from "vitest";
import type { GeneratedImage } from "../pipeline/types.ts";
import { encodeImage } from "./encode-image.ts";

const image: GeneratedImage = {
  seed: 1,
  width: 16,
  height: 8,
  rgb: Uint8Array.from({ length: 16 * 8 * 3 }, (_, i) => (i * 37) % 256),
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
    await expect(encodeImage({ ...image, width: 17 }, "png")).rejects.toThrow(/17×8×3/);
  });
});
