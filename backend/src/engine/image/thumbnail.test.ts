import { RUN_THUMBNAIL_PX } from "@sdgate/shared";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { thumbnailOf } from "./thumbnail.ts";

const image = (width: number, height: number, format: "png" | "jpeg" | "avif" = "png") =>
  sharp({ create: { width, height, channels: 3, background: "#3558d4" } })
    .toFormat(format)
    .toBuffer();

describe("an image's thumbnail", () => {
  it("is a WebP that decodes, at most 128 px a side, its shape kept", async () => {
    const thumb = await thumbnailOf(await image(1024, 768));
    const { format, width, height } = await sharp(thumb).metadata();
    expect(format).toBe("webp");
    expect([width, height]).toEqual([RUN_THUMBNAIL_PX, 96]);
    const { data, info } = await sharp(thumb).raw().toBuffer({ resolveWithObject: true });
    expect(data.length).toBe(info.width * info.height * info.channels);
  });

  it("never enlarges a small image, from any output format", async () => {
    for (const format of ["png", "jpeg", "avif"] as const) {
      const { width, height } = await sharp(await thumbnailOf(await image(64, 32, format))).metadata();
      expect([width, height]).toEqual([64, 32]);
    }
  });
});
