import { RUN_THUMBNAIL_PX } from "@sdgate/shared";
import sharp from "sharp";

/**
 * A small WebP of an encoded image, at most {@link RUN_THUMBNAIL_PX} pixels a side (never enlarged),
 * for lists such as the Studio's run history. Made from the bytes as served (after any safety
 * action), so a thumbnail never shows what its image hides; it carries no metadata.
 *
 * @example
 * const thumb = await thumbnailOf(pngBytes); // WebP, e.g. 128×96 for a 1024×768 image
 */
export async function thumbnailOf(encoded: Uint8Array, maxSidePx = RUN_THUMBNAIL_PX): Promise<Uint8Array> {
  return sharp(encoded)
    .resize(maxSidePx, maxSidePx, { fit: "inside", withoutEnlargement: true })
    .webp({ quality: 70 })
    .toBuffer();
}
