import sharp from "sharp";
import type { RgbImage } from "../types.ts";

/** The formats an input image may be in; libvips' other loaders (SVG, TIFF, GIF, HEIF, PDF, …) never see one. */
export type InputImageFormat = "png" | "jpeg" | "webp";

/** Most pixels an input image may declare: a 4096 × 4096 image, about 64 MiB as RGBA while it decodes. */
export const MAX_INPUT_IMAGE_PIXELS = 4096 * 4096;

/** Why an input image was refused, in words for the client. */
export class InputImageError extends Error {
  override readonly name = "InputImageError";
}

/** `true` for an {@link InputImageError}, across module copies. */
export function isInputImageError(error: unknown): error is InputImageError {
  return error instanceof Error && error.name === "InputImageError";
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * The format an image's first bytes say it is (PNG's signature, JPEG's SOI marker, WebP's RIFF/WEBP
 * header), or `null` for anything else, so that only those three loaders are ever asked to parse
 * untrusted bytes.
 */
export function sniffImageFormat(bytes: Uint8Array): InputImageFormat | null {
  const at = (offset: number, expected: readonly number[]) =>
    expected.every((byte, i) => bytes[offset + i] === byte);
  if (at(0, PNG_SIGNATURE)) return "png";
  if (at(0, [0xff, 0xd8, 0xff])) return "jpeg";
  if (at(0, [0x52, 0x49, 0x46, 0x46]) && at(8, [0x57, 0x45, 0x42, 0x50])) return "webp";
  return null;
}

/**
 * A sharp pipeline over untrusted image bytes: the format sniffed first, the size read from the
 * header alone (`metadata()` decodes no pixels) and checked against `maxPixels` before any decoding,
 * one page and no animation, and libvips' own pixel limit as a second guard. Throws
 * {@link InputImageError}.
 */
export async function openInputImage(
  bytes: Uint8Array,
  maxPixels = MAX_INPUT_IMAGE_PIXELS,
): Promise<{ image: sharp.Sharp; format: InputImageFormat; width: number; height: number }> {
  const format = sniffImageFormat(bytes);
  if (format === null) throw new InputImageError("not a PNG, JPEG or WebP image");
  const options: sharp.SharpOptions = {
    limitInputPixels: maxPixels,
    pages: 1,
    animated: false,
    failOn: "error",
  };
  let width: number | undefined;
  let height: number | undefined;
  try {
    // the header only, so its size can be refused by name rather than by libvips' generic limit
    ({ width, height } = await sharp(bytes, { ...options, limitInputPixels: false }).metadata());
  } catch (error) {
    throw new InputImageError(`not a readable ${format.toUpperCase()} image`, { cause: error });
  }
  if (!width || !height) throw new InputImageError(`not a readable ${format.toUpperCase()} image`);
  if (width * height > maxPixels) {
    throw new InputImageError(
      `${width}×${height} is more than the ${maxPixels} pixels an input image may have`,
    );
  }
  return { image: sharp(bytes, options), format, width, height };
}

/**
 * Stops libvips from loading anything but PNG, JPEG and WebP from memory, for the whole process
 * (libvips is shared by its threads): a second wall behind {@link sniffImageFormat}, for the backend
 * server, which decodes untrusted input. Not for tools that read other files.
 */
export function restrictImageLoaders(): void {
  sharp.block({ operation: ["VipsForeignLoad"] });
  sharp.unblock({
    operation: ["VipsForeignLoadPngBuffer", "VipsForeignLoadJpegBuffer", "VipsForeignLoadWebpBuffer"],
  });
}

/**
 * Decode a PNG, JPEG or WebP (see {@link openInputImage}) to 8-bit RGB for img2img and inpainting
 * inputs. Alpha is dropped without compositing and EXIF orientation is not applied, as Pillow's
 * `convert("RGB")` does in diffusers' pipelines.
 *
 * @example
 * const image = await decodeImage(await readFile("init.png"));
 * await pipeline.generate({ ...request, image, strength: 0.6 });
 */
export async function decodeImage(bytes: Uint8Array, maxPixels = MAX_INPUT_IMAGE_PIXELS): Promise<RgbImage> {
  const { image } = await openInputImage(bytes, maxPixels);
  const { data, info } = await image
    .toColourspace("srgb")
    .removeAlpha()
    .raw({ depth: "uchar" })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new RangeError(`decoded ${info.channels} channels, expected 3`);
  return {
    rgb: new Uint8Array(data.buffer, data.byteOffset, data.length),
    width: info.width,
    height: info.height,
  };
}
