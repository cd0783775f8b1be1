import { createHash } from "node:crypto";
import type { ControlResizeMode } from "@sdgate/shared";
import type { RgbImage } from "../engine/index.ts";
import { decodeResized, inputImageBytes } from "./input-image.ts";

/** A unit's control image, decoded and resized before its job is queued. */
export interface ControlImage {
  /**
   * `just_resize` and `crop_and_resize`: at the request's size. `resize_and_fill`: fitted inside it
   * (its own aspect ratio); the preprocessed map is centred on a canvas of the request's size after.
   */
  image: RgbImage;
  /** SHA-256 of the bytes the request sent, for the image's recipe. */
  sha256: string;
}

/** sharp's fit for each of A1111's resize modes (sd-webui-controlnet `ResizeMode`). */
const FIT = { just_resize: "fill", crop_and_resize: "cover", resize_and_fill: "inside" } as const;

/**
 * A ControlNet unit's image at the request's size, as A1111's resize modes make it: "Just Resize"
 * stretches it; "Crop and Resize" scales it to cover the size and crops the centre; "Resize and Fill"
 * scales it to fit inside, and the map is padded afterwards (`padMap`), as the extension pads the
 * detected map rather than the photo.
 */
export async function decodeControlImage(
  base64: string,
  mode: ControlResizeMode,
  width: number,
  height: number,
  field: string,
): Promise<ControlImage> {
  const bytes = inputImageBytes(base64);
  return {
    image: await decodeResized(bytes, width, height, FIT[mode], field),
    sha256: createHash("sha256").update(bytes).digest("hex"),
  };
}

/**
 * "Resize and Fill"'s canvas: the map centred on `width` × `height`, the rest filled with the median
 * colour of the map's border pixels (sd-webui-controlnet `detectmap_proc`, `ResizeMode.OUTER_FIT`),
 * so the fill reads as more of the map's background.
 */
export function padMap(map: RgbImage, width: number, height: number): RgbImage {
  if (map.width === width && map.height === height) return map;
  const fill = borderMedian(map);
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) rgb.set(fill, i * 3);
  const left = Math.floor((width - map.width) / 2);
  const top = Math.floor((height - map.height) / 2);
  for (let y = 0; y < map.height; y++)
    rgb.set(map.rgb.subarray(y * map.width * 3, (y + 1) * map.width * 3), ((top + y) * width + left) * 3);
  return { rgb, width, height };
}

function borderMedian(map: RgbImage): number[] {
  const { width, height, rgb } = map;
  const border: number[] = [];
  for (let x = 0; x < width; x++) border.push(x, (height - 1) * width + x);
  for (let y = 0; y < height; y++) border.push(y * width, y * width + width - 1);
  return [0, 1, 2].map((c) => {
    const values = border.map((pixel) => rgb[pixel * 3 + c] as number).sort((a, b) => a - b);
    // numpy's median: the mean of the two middle values for an even count
    const mid = values.length / 2;
    return Math.floor(
      values.length % 2 === 1
        ? (values[Math.floor(mid)] as number)
        : ((values[mid - 1] as number) + (values[mid] as number)) / 2,
    );
  });
}
