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
 * The size presets a model allows (its `limits`), and the current size if it is none of them.
 *
 * @example
 * sizeChoices(model, 640, 640); // [{ value: "64x64", label: "64 × 64" }, …, { value: "640x640", … }]
 */
export function sizeChoices(model: Model | undefined, width: number, height: number) {
  const fits = ([w, h]: readonly [number, number]) =>
    model === undefined || (w <= model.limits.max_width && h <= model.limits.max_height);
  const sizes = PRESETS.filter(fits).map(([w, h]) => [w, h] as const);
  if (!sizes.some(([w, h]) => w === width && h === height)) sizes.push([width, height]);
  return sizes.map(([w, h]) => ({ value: `${w}x${h}`, label: `${w} × ${h}` }));
}
