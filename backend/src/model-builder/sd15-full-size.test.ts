import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import onnx from "onnx-proto";
import { InferenceSession, Tensor } from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { floatTensor, floatValues } from "./ort-test-support.ts";
import { buildSd15ControlNetFullSize } from "./sd15-controlnet-full-size.ts";
import {
  buildSd15FullSize,
  countSd15Parameters,
  FULL_SIZE_NETWORKS,
  type FullSizeResult,
} from "./sd15-full-size.ts";

/**
 * Published parameter counts of stable-diffusion-v1-5:
 * - UNet 859,520,964: diffusers' `ModelMixin.num_parameters` docstring (models/modeling_utils.py),
 *   `UNet2DConditionModel.from_pretrained(".../stable-diffusion-v1-5", subfolder="unet")`.
 * - CLIP text encoder 123,060,480 and the whole VAE 83,653,863: the fast.ai forum's "Stable Diffusion
 *   parameter budget allocation" (forums.fast.ai/t/101515), repeated in many READMEs.
 * - VAE decoder 49,490,199 (post_quant_conv + decoder) and encoder 34,163,664 (encoder + quant_conv),
 *   which sum to the VAE's 83,653,863; `vae.encoder` alone is 34,163,592, quant_conv (8·8 + 8) the rest.
 */
const PUBLISHED = {
  text_encoder: 123_060_480,
  unet: 859_520_964,
  vae_encoder: 34_163_592 + 72,
  vae_decoder: 49_490_199,
};

describe("full-size SD 1.5", () => {
  it("has exactly the real networks' parameter counts, counted without making a weight", () => {
    const startedMs = performance.now();
    const counts = countSd15Parameters({ dtype: "float16" });
    expect(performance.now() - startedMs).toBeLessThan(2000);
    for (const network of FULL_SIZE_NETWORKS)
      expect(counts[network].parameters, network).toBe(PUBLISHED[network]);
    expect(counts.vae_encoder.parameters + counts.vae_decoder.parameters).toBe(83_653_863);
    // 686 UNet weight tensors, as diffusers' state dict has.
    expect(counts.unet.tensors).toBe(686);
    expect(counts.unet.bytes).toBe(2 * 859_520_964);
    expect(countSd15Parameters({ dtype: "float32" }).unet.bytes).toBe(4 * 859_520_964);
  });
});

describe("full-size SD 1.5, widths ÷ 8, written with external data", () => {
  let dir: string;
  let result: FullSizeResult;
  const progress: number[] = [];
  beforeAll(async () => {
    dir = join(await mkdtemp(join(tmpdir(), "sdgate-full-")), "sd15");
    result = await buildSd15FullSize(dir, {
      dtype: "float16",
      widthDivisor: 8,
      controlnet: true,
      onProgress: ({ bytesDone, bytesTotal }) => progress.push(bytesDone / bytesTotal),
    });
  }, 60_000);
  afterAll(async () => {
    await rm(join(dir, ".."), { recursive: true, force: true });
  });

  it("streams every weight to model.onnx_data, reporting progress up to 100 %", async () => {
    expect(progress.at(-1)).toBe(1);
    for (const network of FULL_SIZE_NETWORKS) {
      const model = onnx.onnx.ModelProto.decode(await readFile(join(dir, network, "model.onnx")));
      const inline = (model.graph?.initializer ?? []).reduce((sum, t) => sum + (t.rawData?.length ?? 0), 0);
      // Only tensors under onnx's 1 KiB external-data threshold (biases, norms, shapes) stay inline.
      expect(inline, network).toBeLessThan(result.dataBytes[network] / 100);
      expect((await stat(join(dir, network, "model.onnx_data"))).size).toBe(result.dataBytes[network]);
      expect(result.dataBytes[network] + inline).toBeGreaterThanOrEqual(2 * result.parameters[network]);
    }
    expect(JSON.parse(await readFile(join(dir, "vae_decoder/config.json"), "utf8")).scaling_factor).toBe(
      0.18215,
    );
    expect(JSON.parse(await readFile(join(dir, "scheduler/scheduler_config.json"), "utf8"))).toMatchObject({
      _class_name: "PNDMScheduler",
      steps_offset: 1,
    });
  });

  it("loads in onnxruntime-node and runs each network with the exporters' names", async () => {
    const run = async (network: string, feeds: Record<string, Tensor>) => {
      const session = await InferenceSession.create(join(dir, network, "model.onnx"));
      try {
        return await session.run(feeds);
      } finally {
        await session.release();
      }
    };
    const ids = new Int32Array(77).fill(49407);
    ids.set([49406, 320, 1929]);
    // A float16 output must be re-wrapped to go back in (see floatTensor on onnxruntime#26791).
    const again = (t: Tensor) => floatTensor(floatValues(t), t.dims, "float16");
    const text = await run("text_encoder", { input_ids: new Tensor("int32", ids, [1, 77]) });
    expect(text.last_hidden_state?.dims).toEqual([1, 77, 96]);
    const unet = await run("unet", {
      sample: floatTensor(new Float32Array(4 * 64).fill(0.5), [1, 4, 8, 8], "float16"),
      timestep: floatTensor([500], [1], "float16"),
      encoder_hidden_states: again(text.last_hidden_state as Tensor),
    });
    expect(unet.out_sample?.dims).toEqual([1, 4, 8, 8]);
    expect(floatValues(unet.out_sample as Tensor).every(Number.isFinite)).toBe(true);
    const decoded = await run("vae_decoder", { latent_sample: again(unet.out_sample as Tensor) });
    expect(decoded.sample?.dims).toEqual([1, 3, 64, 64]);
    const encoded = await run("vae_encoder", { sample: again(decoded.sample as Tensor) });
    expect(encoded.latent_sample?.dims).toEqual([1, 4, 8, 8]);
  }, 30_000);

  it("writes cnet/ and, beside it, a ControlNet folder whose residuals the cnet UNet takes", async () => {
    const controlnet = join(dir, "controlnet", "random");
    await buildSd15ControlNetFullSize(controlnet, { dtype: "float16", widthDivisor: 8 });
    expect(result.dataBytes.cnet).toBe(result.dataBytes.unet);
    expect((await stat(join(controlnet, "model.onnx_data"))).size).toBeGreaterThan(1_000_000);
    expect(JSON.parse(await readFile(join(controlnet, "config.json"), "utf8"))).toMatchObject({
      _class_name: "ControlNetModel",
      block_out_channels: [40, 80, 160, 160],
      conditioning_embedding_out_channels: [16, 32, 96, 256],
    });
    const run = async (path: string, feeds: Record<string, Tensor>) => {
      const session = await InferenceSession.create(path);
      try {
        return await session.run(feeds);
      } finally {
        await session.release();
      }
    };
    const common = {
      sample: floatTensor(new Float32Array(4 * 64).fill(0.5), [1, 4, 8, 8], "float16"),
      timestep: floatTensor([500], [1], "float16"),
      encoder_hidden_states: floatTensor(new Float32Array(77 * 96).fill(0.1), [1, 77, 96], "float16"),
    };
    const image = floatTensor(new Float32Array(3 * 64 * 64).fill(1), [1, 3, 64, 64], "float16");
    const residuals = await run(join(controlnet, "model.onnx"), { ...common, controlnet_cond: image });
    const again = (t: Tensor) => floatTensor(floatValues(t), t.dims, "float16");
    const feeds = Object.fromEntries(
      Object.entries(residuals).map(([name, t]) => [
        name === "mid_block_res_sample" ? "mid_block_additional_residual" : name,
        again(t),
      ]),
    );
    expect(Object.keys(feeds)).toHaveLength(13);
    const out = await run(join(dir, "cnet", "model.onnx"), { ...common, ...feeds });
    expect(out.out_sample?.dims).toEqual([1, 4, 8, 8]);
    expect(floatValues(out.out_sample as Tensor).every(Number.isFinite)).toBe(true);
  }, 30_000);
});
