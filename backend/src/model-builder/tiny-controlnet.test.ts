import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InferenceSession, Tensor } from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gaussian } from "./ort-test-support.ts";
import { ensureTinyControlNet, TINY_CONTROLNET_UNET } from "./tiny-controlnet.ts";
import { ensureTinyModel, tinyModelFolderName } from "./tiny-model.ts";

let cacheDir: string;
beforeAll(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), "sdgate-tiny-controlnet-"));
});
afterAll(async () => {
  await rm(cacheDir, { recursive: true, force: true });
});

async function run(path: string, feeds: Record<string, Tensor>): Promise<InferenceSession.OnnxValueMapType> {
  const session = await InferenceSession.create(path);
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

const H = 16;
const W = 24;
const text = () => new Tensor("float32", gaussian(77 * 32, 3), [1, 77, 32]);
const latents = () => new Tensor("float32", gaussian(4 * H * W, 1), [1, 4, H, W]);
const timestep = () => new Tensor("float32", new Float32Array([500]), [1]);

function controlImage(): Tensor {
  // A vertical edge, as a canny map would have it, in [0, 1].
  const pixels = new Float32Array(3 * 8 * H * 8 * W);
  for (let i = 0; i < pixels.length; i++) pixels[i] = i % (8 * W) > 4 * W ? 1 : 0;
  return new Tensor("float32", pixels, [1, 3, 8 * H, 8 * W]);
}

describe("the tiny ControlNet and the tiny ControlNet model", () => {
  it("write onnx-web's layout: cnet/ beside unet/, and controlnet/<name>/ with config.json", async () => {
    const model = await ensureTinyModel(cacheDir, { controlnet: true });
    expect(model.endsWith(tinyModelFolderName({ controlnet: true }))).toBe(true);
    expect(tinyModelFolderName({ controlnet: true })).toBe("tiny-sd15-diffusers-fp32-controlnet");
    const controlnet = await ensureTinyControlNet(cacheDir, "tiny-canny");
    expect(controlnet).toBe(join(cacheDir, "controlnet", "tiny-canny"));
    const config = JSON.parse(await readFile(join(controlnet, "config.json"), "utf8"));
    expect(config).toMatchObject({ _class_name: "ControlNetModel", block_out_channels: [16, 16, 32, 32] });
    await expect(ensureTinyControlNet(cacheDir, "../escape")).rejects.toThrow(/name/);
    expect(tinyModelFolderName({ family: "sdxl", controlnet: true })).toBe(
      "tiny-sdxl-optimum-fp32-controlnet",
    );
    expect(() => tinyModelFolderName({ family: "lcm", controlnet: true })).toThrow(/options\.controlnet/);
  });

  it("run together: twelve down residuals and a mid residual of the skips' shapes steer the UNet", async () => {
    const model = await ensureTinyModel(cacheDir, { controlnet: true });
    const controlnet = await ensureTinyControlNet(cacheDir, "tiny-canny");
    const common = { sample: latents(), timestep: timestep(), encoder_hidden_states: text() };
    const residuals = await run(join(controlnet, "model.onnx"), {
      ...common,
      controlnet_cond: controlImage(),
    });
    // SD 1.5's [320×4, 640×3, 1280×5] at the tiny widths [16, 16, 32, 32].
    const channels = [16, 16, 16, 16, 16, 16, 16, 32, 32, 32, 32, 32];
    const scales = [1, 1, 1, 2, 2, 2, 4, 4, 4, 8, 8, 8];
    expect(Object.keys(residuals)).toEqual([
      ...channels.map((_, i) => `down_block_${i}`),
      "mid_block_res_sample",
    ]);
    for (const [i, c] of channels.entries()) {
      const scale = scales[i] ?? 1;
      expect(residuals[`down_block_${i}`]?.dims).toEqual([1, c, H / scale, W / scale]);
    }
    expect(residuals.mid_block_res_sample?.dims).toEqual([1, 32, H / 8, W / 8]);
    expect(TINY_CONTROLNET_UNET.blockOutChannels.at(-1)).toBe(32);

    const down = Object.fromEntries(
      channels.map((_, i) => [`down_block_${i}`, residuals[`down_block_${i}`] as Tensor]),
    );
    const mid = residuals.mid_block_res_sample as Tensor;
    const zeros = (t: Tensor) => new Tensor("float32", new Float32Array(t.size), t.dims);
    const plain = (await run(join(model, "unet/model.onnx"), common)).out_sample?.data as Float32Array;
    const controlled = (
      await run(join(model, "cnet/model.onnx"), { ...common, ...down, mid_block_additional_residual: mid })
    ).out_sample?.data as Float32Array;
    const unsteered = (
      await run(join(model, "cnet/model.onnx"), {
        ...common,
        ...Object.fromEntries(Object.entries(down).map(([k, t]) => [k, zeros(t)])),
        mid_block_additional_residual: zeros(mid),
      })
    ).out_sample?.data as Float32Array;
    expect(controlled.length).toBe(4 * H * W);
    expect(controlled.every(Number.isFinite)).toBe(true);
    // Zero residuals: exactly the plain UNet; the ControlNet's: a visible change.
    expect([...unsteered]).toEqual([...plain]);
    const change =
      controlled.reduce((sum, v, i) => sum + Math.abs(v - (plain[i] as number)), 0) / plain.length;
    const scale = plain.reduce((sum, v) => sum + Math.abs(v), 0) / plain.length;
    expect(change / scale).toBeGreaterThan(0.05);
    expect(change / scale).toBeLessThan(2);
  });
});
