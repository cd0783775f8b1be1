import sharp from "sharp";
import { expect, it } from "vitest";
import { readPngText } from "../../backend/src/engine/image/png-text.ts";
import { LOCAL_ADAPTER_NAMES } from "../../scripts/stack/local-adapters.ts";
import type { Stack } from "../../scripts/stack/start-stack.ts";

const { model, lora, controlnet } = LOCAL_ADAPTER_NAMES;
const SIZE = 64;
/** Tiny requests on the model npm start builds for its LoRA and ControlNet: 64×64, 4 steps. */
const BASE = { model, prompt: "a lighthouse at dusk", size: `${SIZE}x${SIZE}`, steps: 4, seed: 17 };

interface Generated {
  png: Buffer;
  infotext: string;
  controlMaps: { unit: number; b64_json: string }[] | undefined;
}

async function generate(stack: Stack, body: object): Promise<Generated> {
  const response = await fetch(`${stack.url}/v1/images/generations`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${stack.apiKey}` },
    body: JSON.stringify({ ...BASE, ...body }),
    signal: AbortSignal.timeout(60_000),
  });
  const json = (await response.json()) as {
    data: { b64_json: string }[];
    control_maps?: { unit: number; b64_json: string }[];
  };
  expect(response.status, JSON.stringify(json)).toBe(200);
  const png = Buffer.from(json.data[0]?.b64_json as string, "base64");
  return { png, infotext: readPngText(png).get("parameters") ?? "", controlMaps: json.control_maps };
}

const pixels = async (png: Buffer) => sharp(png).raw().toBuffer();

/** A white square on black, 64×64: canny finds its four edges. */
async function squareImage(): Promise<string> {
  const raw = Buffer.alloc(SIZE * SIZE * 3);
  for (let y = 16; y < 48; y++) raw.fill(255, (y * SIZE + 16) * 3, (y * SIZE + 48) * 3);
  const png = await sharp(raw, { raw: { width: SIZE, height: SIZE, channels: 3 } })
    .png()
    .toBuffer();
  return png.toString("base64");
}

const cannyUnit = async () => ({ model: controlnet, image: await squareImage(), preprocessor: "canny" });

/**
 * Issue 18 through the real stack: the LoRA and the ControlNet npm start builds, registers and
 * approves, applied by real backends (edge resolution, routing by digest, the engine, the infotext).
 */
export function adapterScenarios(stack: () => Stack): void {
  it("a LoRA (field or <lora:…> tag) changes the image and is in its infotext", async () => {
    const plain = await generate(stack(), {});
    const withLora = await generate(stack(), { lora: [{ name: lora, weight: 0.8 }] });
    const tagged = await generate(stack(), { prompt: `${BASE.prompt} <lora:${lora}:0.8>` });
    expect(await pixels(withLora.png)).not.toEqual(await pixels(plain.png));
    // the tag is left out of the text encoded, so the pixels are the field's
    expect(await pixels(tagged.png)).toEqual(await pixels(withLora.png));
    for (const image of [withLora, tagged])
      expect(image.infotext).toMatch(new RegExp(`Lora hashes: "${lora}: [0-9a-f]{12}"`));
    expect(plain.infotext).not.toContain("Lora hashes");
  });

  it("a ControlNet unit with the canny preprocessor steers the image and returns its map", async () => {
    const plain = await generate(stack(), {});
    const controlled = await generate(stack(), {
      controlnet: [await cannyUnit()],
      return_control_maps: true,
    });
    expect(await pixels(controlled.png)).not.toEqual(await pixels(plain.png));
    expect(controlled.infotext).toMatch(new RegExp(`ControlNet 0: "[^"]*${controlnet}`));
    const map = controlled.controlMaps?.[0];
    expect(map?.unit).toBe(0);
    const { width, height } = await sharp(Buffer.from(map?.b64_json ?? "", "base64")).metadata();
    expect({ width, height }).toEqual({ width: SIZE, height: SIZE });
  });

  it("a LoRA and a ControlNet unit in one request: both act, both are recorded", async () => {
    const unit = await cannyUnit();
    const controlled = await generate(stack(), { controlnet: [unit] });
    const both = await generate(stack(), { controlnet: [unit], lora: [{ name: lora, weight: 0.8 }] });
    expect(await pixels(both.png)).not.toEqual(await pixels(controlled.png));
    expect(both.infotext).toContain("Lora hashes");
    expect(both.infotext).toContain("ControlNet 0:");
  });

  it("/sdapi/v1/txt2img runs the same ControlNet from alwayson_scripts.controlnet.args", async () => {
    const args = [{ model: controlnet, module: "canny", image: await squareImage() }];
    const plain = await txt2img(stack(), {});
    const controlled = await txt2img(stack(), { alwayson_scripts: { controlnet: { args } } });
    expect(controlled.infotext).toMatch(new RegExp(`ControlNet 0: "[^"]*${controlnet}`));
    expect(plain.infotext).not.toContain("ControlNet 0:");
    expect(await pixels(controlled.png)).not.toEqual(await pixels(plain.png));
  });
}

async function txt2img(stack: Stack, extra: object): Promise<{ png: Buffer; infotext: string }> {
  const response = await fetch(`${stack.url}/sdapi/v1/txt2img`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${stack.apiKey}` },
    body: JSON.stringify({
      prompt: BASE.prompt,
      width: SIZE,
      height: SIZE,
      steps: BASE.steps,
      seed: BASE.seed,
      override_settings: { sd_model_checkpoint: model },
      ...extra,
    }),
    signal: AbortSignal.timeout(60_000),
  });
  const body = (await response.json()) as { images: string[]; info: string };
  expect(response.status, JSON.stringify(body)).toBe(200);
  const info = JSON.parse(body.info) as { infotexts: string[] };
  return { png: Buffer.from(body.images[0] as string, "base64"), infotext: info.infotexts[0] ?? "" };
}
