import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InferenceSession, Tensor } from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTinyModelFiles, ensureTinyModel, ensureTinyModelDetailed } from "./tiny-model.ts";

let cacheDir: string;
beforeAll(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), "sdgate-tiny-"));
});
afterAll(async () => {
  await rm(cacheDir, { recursive: true, force: true });
});

async function withSession<T>(path: string, use: (session: InferenceSession) => Promise<T>): Promise<T> {
  const session = await InferenceSession.create(path);
  try {
    return await use(session);
  } finally {
    await session.release();
  }
}

describe("the tiny model", () => {
  it("builds byte-identically every time", () => {
    const first = buildTinyModelFiles();
    const second = buildTinyModelFiles();
    expect([...second.keys()]).toEqual([...first.keys()]);
    for (const [path, bytes] of first)
      expect(Buffer.from(second.get(path) as Uint8Array).equals(Buffer.from(bytes)), path).toBe(true);
  });

  it("is written once, reused while current, and rebuilt when a file is damaged", async () => {
    const first = await ensureTinyModelDetailed(cacheDir);
    expect(first.built).toBe(true);
    expect(first.files).toContain("build-info.json");
    expect((await ensureTinyModelDetailed(cacheDir)).built).toBe(false);
    await writeFile(join(first.dir, "unet/model.onnx"), "truncated");
    expect((await ensureTinyModelDetailed(cacheDir)).built).toBe(true);
    expect((await readFile(join(first.dir, "unet/model.onnx"))).length).toBeGreaterThan(1000);
  });

  it("with LoRA inputs, lives in its own folder and takes adapters on its UNet and text encoder", async () => {
    const dir = await ensureTinyModel(cacheDir, { loraInputs: true });
    expect(dir).toBe(join(cacheDir, "tiny-lora-inputs"));
    const adapterInputs = async (file: string) =>
      withSession(join(dir, file), async (session) =>
        session.inputNames.filter((n) => n.endsWith(".lora_down")),
      );
    expect(await adapterInputs("unet/model.onnx")).toContain(
      "down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_q.lora_down",
    );
    expect(await adapterInputs("text_encoder/model.onnx")).toContain(
      "text_model.encoder.layers.0.self_attn.q_proj.lora_down",
    );
    expect(() => buildTinyModelFiles({ family: "sdxl", loraInputs: true })).toThrow(/options\.loraInputs/);
  });

  it("survives two processes' worth of concurrent builds into one folder", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sdgate-race-"));
    try {
      const paths = await Promise.all([ensureTinyModel(dir), ensureTinyModel(dir), ensureTinyModel(dir)]);
      expect(new Set(paths).size).toBe(1);
      expect((await ensureTinyModelDetailed(dir)).built).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("looks like a diffusers ONNX export (model_index, scheduler and VAE configs, CLIP tokenizer files)", async () => {
    const dir = await ensureTinyModel(cacheDir);
    const read = async (file: string) => JSON.parse(await readFile(join(dir, file), "utf8"));
    expect((await read("model_index.json")).unet).toEqual(["diffusers", "OnnxRuntimeModel"]);
    expect(await read("scheduler/scheduler_config.json")).toMatchObject({
      _class_name: "EulerDiscreteScheduler",
      beta_schedule: "scaled_linear",
      timestep_spacing: "leading",
      steps_offset: 1,
    });
    expect((await read("vae_decoder/config.json")).scaling_factor).toBe(0.18215);
    expect(Object.keys(await read("tokenizer/vocab.json"))).toHaveLength(1000);
    expect((await readFile(join(dir, "tokenizer/merges.txt"), "utf8")).startsWith("#version: 0.2\n")).toBe(
      true,
    );
  });

  it("text encoder: int32 input_ids [batch, 77] → last_hidden_state [batch, 77, 32] and pooler_output [batch, 32]", async () => {
    const dir = await ensureTinyModel(cacheDir);
    await withSession(join(dir, "text_encoder/model.onnx"), async (session) => {
      expect(session.inputNames).toEqual(["input_ids"]);
      expect(session.inputMetadata[0]).toMatchObject({ type: "int32", shape: ["batch", 77] });
      const ids = new Int32Array(2 * 77).fill(999);
      ids[0] = 998;
      ids[77] = 998;
      ids[78] = 5;
      const out = await session.run({ input_ids: new Tensor("int32", ids, [2, 77]) });
      expect(out.last_hidden_state?.dims).toEqual([2, 77, 32]);
      expect(out.pooler_output?.dims).toEqual([2, 32]);
      const hidden = out.last_hidden_state?.data as Float32Array;
      expect(hidden.every(Number.isFinite)).toBe(true);
      // Different prompts, different encodings.
      expect(hidden.subarray(0, 77 * 32)).not.toEqual(hidden.subarray(77 * 32));
    });
  });

  it("UNet: sample [batch, 4, h, w], timestep [batch], encoder_hidden_states [batch, 77, 32] → out_sample, at any h and w", async () => {
    const dir = await ensureTinyModel(cacheDir);
    await withSession(join(dir, "unet/model.onnx"), async (session) => {
      expect(session.inputNames).toEqual(["sample", "timestep", "encoder_hidden_states"]);
      expect(session.outputNames).toEqual(["out_sample"]);
      for (const [h, w] of [
        [8, 8],
        [5, 7],
      ] as const) {
        const out = await session.run({
          sample: new Tensor("float32", new Float32Array(2 * 4 * h * w).fill(0.5), [2, 4, h, w]),
          timestep: new Tensor("float32", Float32Array.from([901, 901]), [2]),
          encoder_hidden_states: new Tensor("float32", new Float32Array(2 * 77 * 32).fill(0.1), [2, 77, 32]),
        });
        expect(out.out_sample?.dims).toEqual([2, 4, h, w]);
        expect((out.out_sample?.data as Float32Array | undefined)?.every(Number.isFinite)).toBe(true);
      }
    });
  });

  it("VAE encoder: sample [batch, 3, H, W] in [-1, 1] → latent_sample [batch, 4, H/8, W/8] (the mean)", async () => {
    const dir = await ensureTinyModel(cacheDir);
    expect(JSON.parse(await readFile(join(dir, "model_index.json"), "utf8")).vae_encoder).toEqual([
      "diffusers",
      "OnnxRuntimeModel",
    ]);
    await withSession(join(dir, "vae_encoder/model.onnx"), async (session) => {
      expect(session.inputNames).toEqual(["sample"]);
      expect(session.outputNames).toEqual(["latent_sample"]);
      const image = Float32Array.from({ length: 3 * 64 * 48 }, (_, i) => Math.sin(i / 30));
      const first = await session.run({ sample: new Tensor("float32", image, [1, 3, 64, 48]) });
      const second = await session.run({ sample: new Tensor("float32", image, [1, 3, 64, 48]) });
      expect(first.latent_sample?.dims).toEqual([1, 4, 8, 6]);
      expect(first.latent_sample?.data).toEqual(second.latent_sample?.data);
    });
  });

  it("VAE decoder: latent_sample [batch, 4, h, w] → sample [batch, 3, 8h, 8w] in about [-1, 1]", async () => {
    const dir = await ensureTinyModel(cacheDir);
    await withSession(join(dir, "vae_decoder/model.onnx"), async (session) => {
      expect(session.inputNames).toEqual(["latent_sample"]);
      const latent = Float32Array.from({ length: 4 * 6 * 4 }, (_, i) => Math.sin(i) * 5);
      const out = await session.run({ latent_sample: new Tensor("float32", latent, [1, 4, 6, 4]) });
      expect(out.sample?.dims).toEqual([1, 3, 48, 32]);
      const data = out.sample?.data as Float32Array;
      const inRange = data.filter((v) => v >= -1 && v <= 1).length / data.length;
      expect(inRange).toBeGreaterThan(0.8);
    });
  });
});
