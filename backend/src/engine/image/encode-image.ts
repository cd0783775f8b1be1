import sharp from "sharp";
import type { ImageMetadata, RgbImage } from "../types.ts";
import { addPngText } from "./png-text.ts";
import { buildXmp } from "./xmp.ts";

export type ImageFormat = "png" | "webp" | "jpeg" | "avif";

/** The formats `encodeImage` writes, as the API names them. */
export const imageFormats: readonly ImageFormat[] = ["png", "webp", "jpeg", "avif"];

/** PNG keyword of the JSON recipe; A1111's text is under `parameters`. */
export const RECIPE_PNG_KEYWORD = "sdgate";

export interface EncodeImageOptions {
  /** 1–100, for the lossy formats. */
  quality?: number;
  /** What to write into the file; default the image's own `metadata`, `null` for none. */
  metadata?: ImageMetadata | null;
}

/**
 * Encode an image with sharp. PNG is lossless and deterministic (the same pixels and metadata give
 * the same bytes, so cached and fresh responses agree) and carries A1111's `parameters` text chunk
 * and sdgate's JSON recipe (`sdgate` chunk); WebP, JPEG and AVIF carry the same text as EXIF
 * `UserComment` (where A1111 puts it; libvips writes it as ASCII) and, in full, as XMP.
 *
 * @example
 * const png = await encodeImage(result.images[0], "png");
 * const webp = await encodeImage(result.images[0], "webp", { quality: 90 });
 */
export async function encodeImage(
  image: RgbImage & { metadata?: ImageMetadata },
  format: ImageFormat,
  qualityOrOptions?: number | EncodeImageOptions,
): Promise<Uint8Array> {
  const options =
    typeof qualityOrOptions === "number" ? { quality: qualityOrOptions } : (qualityOrOptions ?? {});
  const { quality } = options;
  const metadata = options.metadata === undefined ? image.metadata : options.metadata;
  if (quality !== undefined && (!Number.isInteger(quality) || quality < 1 || quality > 100)) {
    throw new RangeError(`quality has to be an integer from 1 to 100, but is ${quality}`);
  }
  if (image.rgb.length !== image.width * image.height * 3) {
    throw new RangeError(`image has ${image.rgb.length} bytes, expected ${image.width}×${image.height}×3`);
  }
  let output = sharp(image.rgb, { raw: { width: image.width, height: image.height, channels: 3 } });
  const recipe = metadata == null ? undefined : JSON.stringify(metadata.recipe);
  if (metadata != null && recipe !== undefined && format !== "png") {
    output = output
      .withExif({ IFD2: { UserComment: metadata.parameters } })
      .withXmp(buildXmp({ parameters: metadata.parameters, recipe }));
  }
  const lossy = quality === undefined ? {} : { quality };
  switch (format) {
    case "png":
      output = output.png({ compressionLevel: 9, adaptiveFiltering: false });
      break;
    case "webp":
      output = output.webp(lossy);
      break;
    case "jpeg":
      output = output.jpeg(lossy);
      break;
    case "avif":
      output = output.avif(lossy);
      break;
  }
  const bytes = new Uint8Array(await output.toBuffer());
  if (format !== "png" || metadata == null || recipe === undefined) return bytes;
  return addPngText(bytes, [
    ["parameters", metadata.parameters],
    [RECIPE_PNG_KEYWORD, recipe],
  ]);
}
