import type { Model } from "@sdgate/shared";

const PRESETS: ReadonlyArray<readonly [number, number]> = [
  [64, 64],
  [256, 256],
  [512, 512],
  [512, 768],
  [768, 512],
  [768, 768],
  [1024, 1024],
];

/**
 * The size presets for a model: first the sizes it was trained at (its `resolution_buckets`, SDXL's
 * aspect-ratio buckets), marked so, then the general presets its `limits` allow, then the current
 * size if it is none of them.
 *
 * @example
 * sizeChoices(sdxl, 640, 640); // [{ value: "1024x1024", label: "1024 × 1024 (trained)" }, …, { value: "640x640", … }]
 */
export function sizeChoices(model: Model | undefined, width: number, height: number) {
  const fits = ([w, h]: readonly [number, number]) =>
    model === undefined || (w <= model.limits.max_width && h <= model.limits.max_height);
  const trained = (model?.resolution_buckets ?? [])
    .map((bucket) => [bucket.width, bucket.height] as const)
    .filter(fits);
  const isIn = (sizes: ReadonlyArray<readonly [number, number]>, w: number, h: number) =>
    sizes.some(([sw, sh]) => sw === w && sh === h);
  const sizes = [...trained, ...PRESETS.filter(fits).filter(([w, h]) => !isIn(trained, w, h))];
  if (!isIn(sizes, width, height)) sizes.push([width, height]);
  return sizes.map(([w, h]) => ({
    value: `${w}x${h}`,
    label: `${w} × ${h}${isIn(trained, w, h) ? " (trained)" : ""}`,
  }));
}
