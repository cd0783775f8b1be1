import { exampleResolvedRequest } from "@sdgate/shared/testing";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { decodeInputImage, decodeInputImages } from "./input-image.ts";

const encoded = async (format: "png" | "jpeg" | "webp" | "gif", width = 96, height = 48) =>
  (
    await sharp({ create: { width, height, channels: 4, background: { r: 200, g: 50, b: 20, alpha: 1 } } })
      .toFormat(format)
      .toBuffer()
  ).toString("base64");

describe("a request's input images", () => {
  it("decode from PNG, JPEG and WebP, base64 or data URL, to RGB at the request's size", async () => {
    for (const format of ["png", "jpeg", "webp"] as const) {
      const b64 = await encoded(format);
      for (const input of [b64, `data:image/${format};base64,${b64}`]) {
        const image = await decodeInputImage(input, 64, 64, "image");
        expect([image.width, image.height, image.rgb.length]).toEqual([64, 64, 64 * 64 * 3]);
        expect(image.rgb[0]).toBeGreaterThan(150);
      }
    }
  });

  it("refuse any other format with a 400 naming the field, whatever the data URL claims", async () => {
    const gif = await encoded("gif");
    for (const field of ["image", "mask"] as const) {
      const refused = decodeInputImage(`data:image/png;base64,${gif}`, 64, 64, field);
      await expect(refused).rejects.toMatchObject({
        code: "invalid_request",
        status: 400,
        param: field,
        message: `Invalid '${field}': not a PNG, JPEG or WebP image.`,
      });
    }
  });

  it("refuse an image larger than the pixel cap, by its header", async () => {
    const huge = (
      await sharp({ create: { width: 5000, height: 4000, channels: 3, background: "#000" } })
        .png({ compressionLevel: 9 })
        .toBuffer()
    ).toString("base64");
    await expect(decodeInputImage(huge, 64, 64, "mask")).rejects.toMatchObject({
      param: "mask",
      message: expect.stringMatching(/^Invalid 'mask': 5000×4000 is more than the 16777216 pixels/),
    });
  });

  it("are both decoded for an inpainting request, and none for text-to-image", async () => {
    const request = exampleResolvedRequest({ width: 64, height: 64 });
    expect(await decodeInputImages(request)).toEqual({});
    const inpaint = { ...request, image: await encoded("png"), mask: await encoded("webp"), strength: 0.5 };
    const { image, mask } = await decodeInputImages(inpaint);
    expect([image?.width, mask?.height]).toEqual([64, 64]);
  });
});
