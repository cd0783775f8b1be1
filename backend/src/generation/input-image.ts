import { SdgateError } from "@sdgate/shared";
import sharp from "sharp";
import type { RgbImage } from "../engine/index.ts";

const DATA_URL_PREFIX = /^data:image\/[a-z0-9.+-]+;base64,/;

/**
 * Decodes a request's base64 input image (`image` or `mask`) to RGB at the requested size. Images of
 * another size are resized to fill it, as A1111 does; anything sharp cannot read is a 400 naming the field.
 */
export async function decodeInputImage(
  base64: string,
  width: number,
  height: number,
  field: "image" | "mask",
): Promise<RgbImage> {
  const bytes = Buffer.from(base64.replace(DATA_URL_PREFIX, ""), "base64");
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: 8192 * 8192 })
      .flatten({ background: "#000000" })
      .toColourspace("srgb")
      .resize(width, height, { fit: "fill" })
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`);
    return { rgb: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width, height };
  } catch (error) {
    throw new SdgateError(
      "invalid_request",
      `Invalid '${field}': not a readable PNG, JPEG, WebP or AVIF image.`,
      {
        param: field,
        cause: error,
      },
    );
  }
}
