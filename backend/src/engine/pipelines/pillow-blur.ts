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
      // The sum for pixel −1: the first pixel stands for everything left of the line, the last for the right.
      let acc = (line[c] as number) * (radius + 1);
      for (let x = 0; x < edgeA - 1; x++) acc += line[x * 4 + c] as number;
      acc += (line[last * 4 + c] as number) * (radius - edgeA + 1);
      for (let x = 0; x < lineLength; x++) {
        const leavingAt = x - radius - 1;
        const enteringAt = x + radius;
        const leaving = line[Math.max(leavingAt, 0) * 4 + c] as number;
        acc += (line[Math.min(enteringAt, last) * 4 + c] as number) - leaving;
        const far = line[Math.min(enteringAt + 1, last) * 4 + c] as number;
        pixels[start + x * 4 + c] = ((acc * ww + (leaving + far) * fw + 8388608) / 16777216) | 0;
      }
    }
  }
}

/** Rows become columns; a pixel's 4 bytes move as one 32-bit word. */
function transpose(pixels: Uint8Array, width: number, height: number): Uint8Array {
  const words = new Uint32Array(pixels.slice().buffer);
  const out = new Uint32Array(words.length);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) out[x * height + y] = words[y * width + x] as number;
  return new Uint8Array(out.buffer);
}
