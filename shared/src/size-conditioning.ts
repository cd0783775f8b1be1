import { z } from "zod";

/**
 * SDXL's size and crop conditioning ("micro-conditioning", SDXL paper §2.2): the UNet is told the
 * size the training image had before it was resized (`original_size`), where it was cropped
 * (`crops_coords_top_left`) and the size it was trained at (`target_size`). diffusers'
 * `StableDiffusionXLPipeline.__call__` takes the same fields and the same defaults: original = target
 * = the image's size, crops (0, 0); the `negative_*` ones condition the unconditional row of
 * classifier-free guidance.
 */

/** Largest side or crop offset a request may name: 8× SDXL's native 1024, far past any real photo's. */
export const MAX_SIZE_CONDITIONING_PX = 8192;

const conditioningSidePx = z.number().int().min(1).max(MAX_SIZE_CONDITIONING_PX);
const cropOffsetPx = z.number().int().min(0).max(MAX_SIZE_CONDITIONING_PX);

/** A size the UNet is conditioned on, in pixels. */
export const conditioningSizeSchema = z.strictObject({
  width: conditioningSidePx,
  height: conditioningSidePx,
});
export type ConditioningSize = z.infer<typeof conditioningSizeSchema>;

/** The top-left corner of the crop the UNet is told about, in pixels. */
export const cropsCoordsSchema = z.strictObject({ top: cropOffsetPx, left: cropOffsetPx });
export type CropsCoords = z.infer<typeof cropsCoordsSchema>;

/** The request fields, public and resolved alike; only SDXL models take them. */
export const SIZE_CONDITIONING_FIELDS = [
  "original_size",
  "crops_coords_top_left",
  "target_size",
  "negative_original_size",
  "negative_crops_coords_top_left",
  "negative_target_size",
] as const;
export type SizeConditioningField = (typeof SIZE_CONDITIONING_FIELDS)[number];

/**
 * The infotext key of each field. A1111 has no fields for SDXL's size conditioning; sdgate writes each
 * given one after A1111's own (`Original size: 2048x1536`, `Crop top left: "16, 0"`), and reads them back.
 */
export const SIZE_CONDITIONING_INFOTEXT_KEYS: Record<SizeConditioningField, string> = {
  original_size: "Original size",
  crops_coords_top_left: "Crop top left",
  target_size: "Target size",
  negative_original_size: "Negative original size",
  negative_crops_coords_top_left: "Negative crop top left",
  negative_target_size: "Negative target size",
};

/** The fields as the public request declares them, each optional. */
export const sizeConditioningRequestFields = {
  /** SDXL only: the size the UNet is told the image was before resizing (default: the image's size). */
  original_size: conditioningSizeSchema.optional(),
  /** SDXL only: the crop's top-left corner the UNet is told about (default 0, 0: uncropped). */
  crops_coords_top_left: cropsCoordsSchema.optional(),
  /** SDXL only: the size the UNet is told it is making (default: the image's size). */
  target_size: conditioningSizeSchema.optional(),
  /** SDXL only: `original_size` for the unconditional row (default: as `original_size` defaults). */
  negative_original_size: conditioningSizeSchema.optional(),
  /** SDXL only: `crops_coords_top_left` for the unconditional row (default 0, 0). */
  negative_crops_coords_top_left: cropsCoordsSchema.optional(),
  /** SDXL only: `target_size` for the unconditional row (default: the image's size). */
  negative_target_size: conditioningSizeSchema.optional(),
};

/** The fields a request gave (none: diffusers' defaults). */
export const sizeConditioningSchema = z.strictObject(sizeConditioningRequestFields);
export type SizeConditioning = z.infer<typeof sizeConditioningSchema>;

/**
 * The fields a request gave, each kept only when given: requests without them keep their canonical
 * form and cache keys, and backends that predate them keep accepting them. The engine applies the
 * defaults (it knows the size it makes).
 *
 * @example
 * givenSizeConditioning({ original_size: { width: 2048, height: 2048 } }) // { original_size: { width: 2048, height: 2048 } }
 */
export function givenSizeConditioning(request: SizeConditioning): SizeConditioning {
  const given: SizeConditioning = {};
  for (const field of SIZE_CONDITIONING_FIELDS) {
    const value = request[field];
    if (value !== undefined) Object.assign(given, { [field]: value });
  }
  return given;
}

/** The six numbers of one row of SDXL's `time_ids`. */
export type TimeIds = readonly [number, number, number, number, number, number];

/**
 * SDXL's `time_ids` for the conditional row and the unconditional one, as diffusers'
 * `_get_add_time_ids` lays them out: original (h, w), crop (top, left), target (h, w). Without any
 * `negative_*` field the unconditional row is the conditional one, as in diffusers; with one, the
 * others default as the positive ones do.
 *
 * @example
 * sizeConditioningTimeIds({}, 1024, 768).positive // [768, 1024, 0, 0, 768, 1024]
 */
export function sizeConditioningTimeIds(
  request: SizeConditioning,
  width: number,
  height: number,
): { positive: TimeIds; negative: TimeIds } {
  const image = { width, height };
  const row = (original: ConditioningSize, crop: CropsCoords, target: ConditioningSize): TimeIds => [
    original.height,
    original.width,
    crop.top,
    crop.left,
    target.height,
    target.width,
  ];
  const uncropped = { top: 0, left: 0 };
  const positive = row(
    request.original_size ?? image,
    request.crops_coords_top_left ?? uncropped,
    request.target_size ?? image,
  );
  const anyNegative =
    request.negative_original_size !== undefined ||
    request.negative_crops_coords_top_left !== undefined ||
    request.negative_target_size !== undefined;
  const negative = anyNegative
    ? row(
        request.negative_original_size ?? image,
        request.negative_crops_coords_top_left ?? uncropped,
        request.negative_target_size ?? image,
      )
    : positive;
  return { positive, negative };
}

/** A size's infotext text, `"2048x1536"`, or a crop's, `"16, 0"` (top, left). */
export function sizeConditioningText(value: ConditioningSize | CropsCoords): string {
  return "top" in value ? `${value.top}, ${value.left}` : `${value.width}x${value.height}`;
}

/**
 * The fields written as {@link sizeConditioningText} writes them (an infotext's pairs, a URL's query),
 * each kept only when it is valid; `read` returns a field's text (`undefined` or `null` when absent).
 *
 * @example
 * parseSizeConditioning((field) => pairs.get(SIZE_CONDITIONING_INFOTEXT_KEYS[field]))
 * // { original_size: { width: 2048, height: 1536 } }
 */
export function parseSizeConditioning(
  read: (field: SizeConditioningField) => string | null | undefined,
): SizeConditioning {
  const given: Record<string, unknown> = {};
  for (const field of SIZE_CONDITIONING_FIELDS) {
    const text = read(field)?.replace(/^"|"$/g, "").trim();
    if (text === undefined) continue;
    const crop = /^(\d{1,5}),\s*(\d{1,5})$/.exec(text);
    const size = /^(\d{1,5})x(\d{1,5})$/.exec(text);
    const value = field.includes("crops")
      ? crop && { top: Number(crop[1]), left: Number(crop[2]) }
      : size && { width: Number(size[1]), height: Number(size[2]) };
    if (value) given[field] = value;
  }
  return validSizeConditioning(given);
}

/**
 * The size-conditioning fields of `source` (a recorded request, a recipe) that are valid, each on its
 * own: one out-of-range value drops only itself.
 *
 * @example
 * validSizeConditioning({ original_size: { width: 2048, height: 1536 }, target_size: "big" })
 * // { original_size: { width: 2048, height: 1536 } }
 */
export function validSizeConditioning(source: Record<string, unknown>): SizeConditioning {
  const kept: SizeConditioning = {};
  for (const field of SIZE_CONDITIONING_FIELDS) {
    if (source[field] === undefined) continue;
    const one = sizeConditioningSchema.safeParse({ [field]: source[field] });
    if (one.success) Object.assign(kept, one.data);
  }
  return kept;
}
