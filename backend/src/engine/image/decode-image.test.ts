import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { pngWith } from "@sdgate/shared/testing/png";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import {
  decodeImage,
  InputImageError,
  MAX_INPUT_IMAGE_PIXELS,
  openInputImage,
  sniffImageFormat,
} from "./decode-image.ts";

const solid = (format: "png" | "jpeg" | "webp" | "gif" | "tiff" | "avif", width = 8, height = 8) =>
  sharp({ create: { width, height, channels: 3, background: "#c83214" } })
    .toFormat(format)
    .toBuffer();

const SVG = Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8"/></svg>',
);
const PDF = Buffer.from("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF");

/** A PNG whose header declares `width × height` and whose one row of data is valid: no pixels to speak of. */
function pngDeclaring(width: number, height: number): Buffer {
  return pngWith(width, height, "grey", Buffer.alloc(width + 1));
}

describe("input image formats", () => {
  it("knows PNG, JPEG and WebP by their magic bytes, and nothing else", async () => {
    expect(sniffImageFormat(await solid("png"))).toBe("png");
    expect(sniffImageFormat(await solid("jpeg"))).toBe("jpeg");
    expect(sniffImageFormat(await solid("webp"))).toBe("webp");
    for (const other of [await solid("gif"), await solid("tiff"), await solid("avif"), SVG, PDF]) {
      expect(sniffImageFormat(other)).toBeNull();
    }
    expect(sniffImageFormat(new Uint8Array(0))).toBeNull();
  });

  it("refuses what sharp could decode but inputs may not be: GIF, TIFF, AVIF/HEIF, SVG, PDF", async () => {
    for (const other of [await solid("gif"), await solid("tiff"), await solid("avif"), SVG, PDF]) {
      // sharp itself would read most of these
      await expect(decodeImage(other)).rejects.toThrow(InputImageError);
      await expect(decodeImage(other)).rejects.toThrow("not a PNG, JPEG or WebP image");
    }
    expect(await sharp(await solid("gif")).metadata()).toMatchObject({ format: "gif" });
  });

  it("decodes the three it takes to RGB", async () => {
    for (const format of ["png", "jpeg", "webp"] as const) {
      const image = await decodeImage(await solid(format, 12, 6));
      expect([image.width, image.height, image.rgb.length]).toEqual([12, 6, 12 * 6 * 3]);
    }
  });

  it("checks the size its header declares before decoding a pixel", async () => {
    const bomb = pngDeclaring(50_000, 50_000);
    // the header reads as a huge image, though the data would decode to nothing
    expect(await sharp(bomb, { limitInputPixels: false }).metadata()).toMatchObject({ width: 50_000 });
    await expect(openInputImage(bomb)).rejects.toThrow(
      `50000×50000 is more than the ${MAX_INPUT_IMAGE_PIXELS} pixels an input image may have`,
    );
    await expect(openInputImage(await solid("png", 40, 40), 1_000)).rejects.toThrow(/40×40 is more than/);
    expect((await openInputImage(await solid("png", 40, 40), 1_600)).width).toBe(40);
  });

  it("refuses a truncated image as unreadable", async () => {
    const png = await solid("png", 64, 64);
    await expect(decodeImage(png.subarray(0, 20))).rejects.toThrow(/not a readable PNG image/);
  });

  it("restrictImageLoaders leaves libvips only the PNG, JPEG and WebP loaders", () => {
    // libvips' operation blocks are process-wide, so this runs in a process of its own
    const script = `
      import sharp from "sharp";
      import { restrictImageLoaders } from ${JSON.stringify(new URL("./decode-image.ts", import.meta.url).href)};
      restrictImageLoaders();
      const solid = (format) => sharp({ create: { width: 4, height: 4, channels: 3, background: "#fff" } }).toFormat(format).toBuffer();
      const read = (bytes) => sharp(bytes).metadata().then((m) => m.format, () => "blocked");
      const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>');
      const results = [];
      for (const format of ["png", "jpeg", "webp", "gif", "tiff"]) results.push(await read(await solid(format)));
      results.push(await read(svg));
      console.log(JSON.stringify(results));
    `;
    // from the backend's folder, so `sharp` is the copy decode-image.ts loads
    const cwd = fileURLToPath(new URL("../../../", import.meta.url));
    const output = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
      encoding: "utf8",
      cwd,
    });
    expect(JSON.parse(output)).toEqual(["png", "jpeg", "webp", "blocked", "blocked", "blocked"]);
  });
});
