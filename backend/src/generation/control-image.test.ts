import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { decodeControlImage, padMap } from "./control-image.ts";

/** 40×20: left half red, right half blue, a green column at x = 0. */
async function wideImage(): Promise<string> {
  const width = 40;
  const height = 20;
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      rgb.set(x === 0 ? [0, 255, 0] : x < 20 ? [255, 0, 0] : [0, 0, 255], (y * width + x) * 3);
  return (
    await sharp(rgb, { raw: { width, height, channels: 3 } })
      .png()
      .toBuffer()
  ).toString("base64");
}

const pixel = (image: { rgb: Uint8Array; width: number }, x: number, y: number) => [
  ...image.rgb.subarray((y * image.width + x) * 3, (y * image.width + x) * 3 + 3),
];

describe("control images by A1111's resize modes", () => {
  it("just_resize stretches the whole image to the size", async () => {
    const { image } = await decodeControlImage(
      await wideImage(),
      "just_resize",
      20,
      20,
      "controlnet.0.image",
    );
    expect([image.width, image.height]).toEqual([20, 20]);
    expect(pixel(image, 0, 10)[1]).toBeGreaterThan(100); // the green edge column survives, squeezed
  });

  it("crop_and_resize covers the size and crops the centre (the edge column is cut)", async () => {
    const { image } = await decodeControlImage(
      await wideImage(),
      "crop_and_resize",
      20,
      20,
      "controlnet.0.image",
    );
    expect([image.width, image.height]).toEqual([20, 20]);
    expect(pixel(image, 0, 10)).toEqual([255, 0, 0]);
    expect(pixel(image, 19, 10)).toEqual([0, 0, 255]);
  });

  it("resize_and_fill fits inside, and the map is centred on a canvas filled with its border's median", async () => {
    const { image, sha256 } = await decodeControlImage(
      await wideImage(),
      "resize_and_fill",
      20,
      20,
      "controlnet.0.image",
    );
    expect([image.width, image.height]).toEqual([20, 10]);
    expect(sha256).toMatch(/^[0-9a-f]{64}$/);
    const canvas = padMap(image, 20, 20);
    expect([canvas.width, canvas.height]).toEqual([20, 20]);
    expect(pixel(canvas, 10, 10)).toEqual(pixel(image, 10, 5));
    const fill = pixel(canvas, 10, 0);
    expect(pixel(canvas, 10, 19)).toEqual(fill);
    expect(pixel(canvas, 10, 4)).toEqual(fill);
  });

  it("refuses an undecodable image, naming the unit's field", async () => {
    await expect(
      decodeControlImage("aGVsbG8=", "just_resize", 8, 8, "controlnet.2.image"),
    ).rejects.toMatchObject({
      code: "invalid_request",
      param: "controlnet.2.image",
    });
  });
});
