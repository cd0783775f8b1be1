import sharp from "sharp";
import { RECIPE_PNG_KEYWORD } from "./encode-image.ts";
import { readExifUserComment } from "./exif-user-comment.ts";
import { readPngText } from "./png-text.ts";
import { readXmp } from "./xmp.ts";

export interface ReadImageMetadata {
  /** A1111's `parameters` text, if the file has it. */
  parameters?: string;
  /** sdgate's JSON recipe, parsed, if the file has it. */
  recipe?: Record<string, unknown>;
}

/**
 * Read back what `encodeImage` wrote (and A1111's `parameters` from files A1111 wrote): PNG text
 * chunks; otherwise sdgate's XMP, then EXIF `UserComment`.
 *
 * @example
 * const { parameters, recipe } = await readImageMetadata(pngBytes);
 */
export async function readImageMetadata(bytes: Uint8Array): Promise<ReadImageMetadata> {
  let parameters: string | undefined;
  let recipe: string | undefined;
  if (bytes[0] === 0x89 && bytes[1] === 0x50) {
    const text = readPngText(bytes);
    parameters = text.get("parameters");
    recipe = text.get(RECIPE_PNG_KEYWORD);
  } else {
    const meta = await sharp(bytes).metadata();
    const xmp = meta.xmpAsString ?? (meta.xmp === undefined ? undefined : new TextDecoder().decode(meta.xmp));
    if (xmp !== undefined) ({ parameters, recipe } = readXmp(xmp));
    if (parameters === undefined && meta.exif !== undefined) parameters = readExifUserComment(meta.exif);
  }
  const found: ReadImageMetadata = {};
  if (parameters !== undefined) found.parameters = parameters;
  if (recipe !== undefined) found.recipe = JSON.parse(recipe) as Record<string, unknown>;
  return found;
}
