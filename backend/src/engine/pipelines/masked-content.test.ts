import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { fillMaskedArea, replaceMaskedLatents } from "./masked-content.ts";
import { pillowGaussianBlur } from "./pillow-blur.ts";

// References made with Pillow 12.3.0 (`ImageFilter.GaussianBlur`, and A1111's `masking.fill`).
describe("Pillow's Gaussian blur", () => {
  const rgba = Uint8Array.of(
    ...[0, 0, 0, 255, 255, 0, 0, 255, 0, 255, 0, 128, 10, 20, 30, 0],
    ...[255, 255, 255, 255, 1, 2, 3, 4, 100, 100, 100, 100, 0, 0, 255, 255],
  );

  it("gives Pillow's bytes for a fractional box radius", () => {
    expect([...pillowGaussianBlur(rgba, 4, 2, 1.5)]).toEqual([
      ...[109, 87, 73, 188, 91, 83, 74, 169, 64, 75, 80, 144, 44, 69, 87, 128],
      ...[111, 90, 78, 185, 92, 84, 79, 167, 65, 75, 85, 145, 45, 68, 93, 131],
    ]);
  });

  it("gives Pillow's bytes for a radius far wider than the image (edges extended)", () => {
    expect([...pillowGaussianBlur(rgba, 4, 2, 300)]).toEqual([
      ...[66, 69, 134, 191, 66, 68, 134, 191, 66, 68, 134, 191, 66, 68, 134, 190],
      ...[67, 69, 135, 191, 66, 69, 135, 191, 66, 69, 135, 191, 66, 69, 135, 191],
    ]);
  });

  it("leaves the pixels as they are at radius 0", () => {
    expect([...pillowGaussianBlur(rgba, 4, 2, 0)]).toEqual([...rgba]);
  });
});

describe("A1111's masked content 'fill'", () => {
  const width = 24;
  const height = 16;
  const rgb = new Uint8Array(width * height * 3);
  const mask = new Float32Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      rgb.set([(x * 37 + y * 11) % 256, (x * 5 + y * 23) % 256, x < 12 ? 200 : 30], i * 3);
      mask[i] = y >= 4 && y < 12 && x >= 6 && x < 18 ? 1 : 0;
    }
  const filled = fillMaskedArea({ rgb, width, height }, mask);

  it("gives the bytes of A1111's masking.fill with Pillow", () => {
    expect(createHash("sha256").update(filled.rgb).digest("hex")).toBe(
      "e95f10f0661a13fe182171294273637ce4ff9e269c343da700db6ecf4ebf8e66",
    );
  });

  it("keeps the unmasked pixels and paints the masked ones in the colours around them", () => {
    for (let i = 0; i < width * height; i++) {
      const original = [...rgb.subarray(i * 3, i * 3 + 3)];
      const now = [...filled.rgb.subarray(i * 3, i * 3 + 3)];
      if (mask[i] === 0) expect(now).toEqual(original);
    }
    // Blue is 200 left of x = 12 and 30 right of it: the masked pixels take their side's blue.
    const blueAt = (x: number, y: number) => filled.rgb[(y * width + x) * 3 + 2] as number;
    expect(blueAt(6, 8)).toBeGreaterThan(150);
    expect(blueAt(17, 8)).toBeLessThan(80);
    const changed = [...filled.rgb].filter((value, i) => value !== rgb[i]).length;
    expect(changed).toBeGreaterThan(8 * 12);
  });
});

describe("latent masked content", () => {
  const latents = Float32Array.of(1, 2, 3, 4, 5, 6); // 2 channels of 3 positions
  const latentMask = Float32Array.of(0, 1, 1);
  const noise = () => Float32Array.of(-1, -2, -3, -4, -5, -6);

  it("'latent_noise' takes the noise where masked, for every channel", () => {
    expect([...replaceMaskedLatents(latents, latentMask, "latent_noise", noise)]).toEqual([
      1, -2, -3, 4, -5, -6,
    ]);
  });

  it("'latent_nothing' zeroes the masked latents", () => {
    expect([...replaceMaskedLatents(latents, latentMask, "latent_nothing", noise)]).toEqual([
      1, 0, 0, 4, 0, 0,
    ]);
  });

  it("'fill' and 'original' leave the latents, drawing no noise", () => {
    const never = () => {
      throw new Error("no noise should be drawn");
    };
    for (const content of ["fill", "original"] as const)
      expect(replaceMaskedLatents(latents, latentMask, content, never)).toBe(latents);
  });
});
