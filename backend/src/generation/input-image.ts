import { type ResolvedGenerationRequest, SdgateError } from "@sdgate/shared";
import { isInputImageError, openInputImage } from "../engine/image/decode-image.ts";
import type { RgbImage } from "../engine/index.ts";
import { type ControlImage, decodeControlImage } from "./control-image.ts";

const DATA_URL_PREFIX = /^data:image\/[a-z0-9.+-]+;base64,/;

/** A request's input images, decoded at its size: what the engine takes instead of base64. */
export interface InputImages {
  image?: RgbImage;
  mask?: RgbImage;
  /** Each ControlNet unit's image, resized by its `resize_mode` (see `decodeControlImage`). */
  control?: ControlImage[];
}

/**
 * Decodes a request's base64 input image (`image` or `mask`) to RGB at the requested size. Images of
 * another size are resized to fill it, as A1111 does. Only PNG, JPEG and WebP are read, and only up to
 * `MAX_INPUT_IMAGE_PIXELS` as their header declares, before any pixel is decoded; anything else is a
 * 400 naming the field. sharp does the work on libuv's threadpool, off the event loop.
 */
export async function decodeInputImage(
  base64: string,
  width: number,
  height: number,
  field: "image" | "mask",
): Promise<RgbImage> {
  return decodeResized(inputImageBytes(base64), width, height, "fill", field);
}

/**
 * Image bytes as RGB, resized to `width` × `height` with sharp's `fit` (`inside` keeps the image's own
 * aspect ratio, so its size may be smaller); transparency flattened onto black. A bad image is a 400
 * naming `field`.
 */
export async function decodeResized(
  bytes: Buffer,
  width: number,
  height: number,
  fit: "fill" | "cover" | "inside",
  field: string,
): Promise<RgbImage> {
  try {
    const { image } = await openInputImage(bytes);
    const { data, info } = await image
      .flatten({ background: "#000000" })
      .toColourspace("srgb")
      .resize(width, height, { fit, position: "centre" })
      .removeAlpha()
      .raw({ depth: "uchar" })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`);
    return {
      rgb: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      width: info.width,
      height: info.height,
    };
  } catch (error) {
    throw inputImageFailure(error, field);
  }
}

/** A request's base64 image (or data: URL) as bytes. */
export function inputImageBytes(base64: string): Buffer {
  return Buffer.from(base64.replace(DATA_URL_PREFIX, ""), "base64");
}

/** An image that would not decode, as a 400 naming its field. */
export function inputImageFailure(error: unknown, field: string): SdgateError {
  const reason = isInputImageError(error) ? error.message : "not a readable PNG, JPEG or WebP image";
  return new SdgateError("invalid_request", `Invalid '${field}': ${reason}.`, { param: field, cause: error });
}

/**
 * A request's `image` and `mask`, decoded: done as a request arrives, before its job takes a place in
 * the queue, so the engine's thread and the batch loop never wait on a decode.
 */
export async function decodeInputImages(request: ResolvedGenerationRequest): Promise<InputImages> {
  const { width, height } = request;
  const [image, mask, control] = await Promise.all([
    request.image === null ? undefined : decodeInputImage(request.image, width, height, "image"),
    request.mask === null ? undefined : decodeInputImage(request.mask, width, height, "mask"),
    request.controlnet === undefined
      ? undefined
      : Promise.all(
          request.controlnet.map((unit, i) =>
            decodeControlImage(unit.image, unit.resize_mode, width, height, `controlnet.${i}.image`),
          ),
        ),
  ]);
  return { ...(image ? { image } : {}), ...(mask ? { mask } : {}), ...(control ? { control } : {}) };
}
