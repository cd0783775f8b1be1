/**
 * Pillow's `ImageFilter.GaussianBlur(radius)` on 8-bit RGBA pixels, integer for integer (`BoxBlur.c`):
 * three box blurs of a fractional radius along rows, then along columns, edges extended. A1111's
 * "fill" for masked content is built from these blurs, so it follows them exactly.
 */
export function pillowGaussianBlur(rgba: Uint8Array, width: number, height: number, radius: number) {
  const box = gaussianBoxRadius(radius, BOX_PASSES);
  if (box === 0) return rgba.slice();
  const rows = rgba.slice();
  for (let pass = 0; pass < BOX_PASSES; pass++) blurLines(rows, width, height, box);
  const columns = transpose(rows, width, height);
  for (let pass = 0; pass < BOX_PASSES; pass++) blurLines(columns, height, width, box);
  return transpose(columns, height, width);
}

const BOX_PASSES = 3;
const { fround } = Math;

/** `_gaussian_blur_radius`: the box radius whose passes give the Gaussian's variance (C floats). */
function gaussianBoxRadius(radius: number, passes: number): number {
  const sigma2 = fround((radius * radius) / passes);
  const length = fround(Math.sqrt(12 * sigma2 + 1));
  const whole = Math.floor((length - 1) / 2);
  const fraction = fround(
    fround((2 * whole + 1) * (whole * (whole + 1) - 3 * sigma2)) / (6 * (sigma2 - (whole + 1) * (whole + 1))),
  );
  return fround(whole + fraction);
}

/** `ImagingHorizontalBoxBlur`, in place: each row of 4-channel pixels blurred by a fractional box. */
function blurLines(pixels: Uint8Array, lineLength: number, lines: number, floatRadius: number): void {
  const radius = Math.trunc(floatRadius);
  // Weights in 24-bit fixed point: `ww` for the whole box, `fw` for each of its two fractional ends.
  const ww = Math.trunc(fround(16777216 / fround(floatRadius * 2 + 1)));
  const fw = Math.trunc((16777216 - (radius * 2 + 1) * ww) / 2);
  // Pillow's three loops per edge case come down to clamping the indices to the line.
  const edgeA = Math.min(radius + 1, lineLength);
  const last = lineLength - 1;
  const line = new Uint8Array(lineLength * 4);
  for (let y = 0; y < lines; y++) {
    const start = y * lineLength * 4;
    line.set(pixels.subarray(start, start + lineLength * 4));
    for (let c = 0; c < 4; c++) {
      const at = (x: number) => line[x * 4 + c] as number;
      // The sum for pixel −1: the first pixel stands for everything left of the line, the last for the right.
      let acc = at(0) * (radius + 1);
      for (let x = 0; x < edgeA - 1; x++) acc += at(x);
      acc += at(last) * (radius - edgeA + 1);
      for (let x = 0; x < lineLength; x++) {
        const leaving = Math.max(x - radius - 1, 0);
        const entering = Math.min(x + radius, last);
        const far = Math.min(x + radius + 1, last);
        acc += at(entering) - at(leaving);
        const bulk = acc * ww + (at(leaving) + at(far)) * fw;
        pixels[start + x * 4 + c] = Math.floor((bulk + 8388608) / 16777216);
      }
    }
  }
}

function transpose(pixels: Uint8Array, width: number, height: number): Uint8Array {
  const out = new Uint8Array(pixels.length);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      out.set(pixels.subarray((y * width + x) * 4, (y * width + x) * 4 + 4), (x * height + y) * 4);
  return out;
}
