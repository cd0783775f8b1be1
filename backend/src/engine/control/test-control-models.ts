import { copyFile, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import onnx from "onnx-proto";
import { GraphBuilder } from "../../model-builder/graph.ts";
import { TEST_MODEL_CACHE, tinyModelDir } from "../test-models.ts";
import { CONTROL_UNET_FILE } from "./control-unet.ts";

/**
 * Test support: ControlNet-shaped graphs for the tiny model (written here, not by the model builder):
 * `TEST_RESIDUALS` residuals, all latent-shaped `[batch, 4, h, w]`. The ControlNet averages its map
 * over each 8×8 patch and mixes the 3 colours into 4 channels; residual k is that times (k + 1), so
 * per-block scales can be told apart. The ControlNet UNet is the tiny UNet with every residual added
 * to its output: zero residuals give the plain UNet's prediction.
 */
export const TEST_RESIDUALS = 4;
const LATENT_CHANNELS = 4;
/** Bumped when a graph here changes, so cached folders are rebuilt. */
const VERSION = 1;

/** A ControlNet: `named` outputs `down_block_k` and `mid_block`; `positional` as onnx-web's export names them. */
export function testControlNetBytes(
  layout: "named" | "positional",
  gain = 1,
  batch: "batch" | 1 = "batch",
): Uint8Array {
  const g = new GraphBuilder("test_controlnet");
  g.input("sample", "float", [batch, LATENT_CHANNELS, "height", "width"]);
  g.input("timestep", "float", [batch]);
  g.input("encoder_hidden_states", "float", [batch, "sequence", 32]);
  const cond = g.input("controlnet_cond", "float", [batch, 3, "image_height", "image_width"]);
  const pooled = g.node("AveragePool", [cond], { kernel_shape: [8, 8], strides: [8, 8] });
  const mix = g.initializer(
    "mix",
    Float32Array.from({ length: LATENT_CHANNELS * 3 }, (_, i) => gain * (((i * 7) % 5) - 2) * 0.5),
    [LATENT_CHANNELS, 3, 1, 1],
  );
  const base = g.node("Conv", [pooled, mix]);
  const names =
    layout === "named"
      ? [...Array.from({ length: TEST_RESIDUALS - 1 }, (_, k) => `down_block_${k}`), "mid_block"]
      : [
          "down_block_res_samples",
          "mid_block_res_sample",
          ...Array.from({ length: TEST_RESIDUALS - 2 }, (_, k) => `onnx::Mul_${100 + k}`),
        ];
  names.forEach((name, k) => {
    const out = g.node("Mul", [base, g.floats([k + 1], [])], {}, name);
    g.output(out, "float", [batch, LATENT_CHANNELS, "height", "width"]);
  });
  return g.encode();
}

/** The tiny UNet with `down_block_0…` and `mid_block_additional_residual` inputs added to its output. */
export function testControlUnetBytes(unet: Uint8Array): Uint8Array {
  const model = onnx.onnx.ModelProto.decode(unet);
  const graph = model.graph as onnx.onnx.GraphProto;
  const producer = graph.node.find((node) => node.output?.includes("out_sample"));
  if (producer?.output == null) throw new Error("tiny UNet has no out_sample");
  producer.output = producer.output.map((name) => (name === "out_sample" ? "unet_out_sample" : name));
  const names = [
    ...Array.from({ length: TEST_RESIDUALS - 1 }, (_, k) => `down_block_${k}`),
    "mid_block_additional_residual",
  ];
  const dims = ["batch", LATENT_CHANNELS, "height", "width"].map((d) =>
    typeof d === "number" ? { dimValue: d } : { dimParam: d },
  );
  for (const name of names)
    graph.input.push({ name, type: { tensorType: { elemType: 1, shape: { dim: dims } } } });
  graph.node.push({
    opType: "Sum",
    name: "add_residuals",
    input: ["unet_out_sample", ...names],
    output: ["out_sample"],
  });
  return onnx.onnx.ModelProto.encode(model).finish();
}

/**
 * A stand-in annotator: `channels` copies of the image's mean over its colours (1: a depth map; 3: a
 * drawing; more: raw heatmaps, which sdgate refuses).
 */
export function testAnnotatorBytes(channels: number): Uint8Array {
  const g = new GraphBuilder("test_annotator");
  const image = g.input("image", "float", [1, 3, "height", "width"]);
  const weights = g.initializer("mean", new Float32Array(channels * 3).fill(1 / 3), [channels, 3, 1, 1]);
  g.output(g.node("Conv", [image, weights]), "float", [1, channels, "height", "width"], "map");
  return g.encode();
}

/** A copy of the tiny model with a ControlNet UNet (`cnet/model.onnx`), cached across runs. */
export async function tinyControlModelDir(): Promise<string> {
  const source = await tinyModelDir();
  const dir = join(TEST_MODEL_CACHE, `tiny-cnet-v${VERSION}`);
  if (await present(join(dir, CONTROL_UNET_FILE))) return dir;
  const staging = `${dir}.${process.pid}.${Date.now()}`;
  await copyTree(source, staging);
  await mkdir(join(staging, "cnet"), { recursive: true });
  await writeFile(
    join(staging, CONTROL_UNET_FILE),
    testControlUnetBytes(await readFile(join(source, "unet/model.onnx"))),
  );
  await rename(staging, dir).catch(async () => rm(staging, { recursive: true, force: true }));
  return dir;
}

/** A ControlNet folder `<root>/<name>/model.onnx`, as the backend's catalog reads them. */
export async function writeTestControlNet(
  root: string,
  name: string,
  layout: "named" | "positional" = "named",
  gain = 1,
  batch: "batch" | 1 = "batch",
): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "model.onnx"), testControlNetBytes(layout, gain, batch));
  return dir;
}

async function present(path: string): Promise<boolean> {
  return readFile(path).then(
    () => true,
    () => false,
  );
}

async function copyTree(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const entry of await readdir(from, { withFileTypes: true })) {
    if (entry.isDirectory()) await copyTree(join(from, entry.name), join(to, entry.name));
    else await copyFile(join(from, entry.name), join(to, entry.name));
  }
}
