import { join } from "node:path";
import { Tensor } from "onnxruntime-node";
import { afterAll, describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../errors.ts";
import { loadTiny, tinyModelDir } from "../test-models.ts";
import { readSmallInitializers } from "./onnx-initializers.ts";
import { createSession, type LoadedSession, outputData } from "./onnx-session.ts";
import { layerNorm, TextEncoderSession } from "./text-encoder.ts";

const sessions: LoadedSession[] = [];
afterAll(() => Promise.all(sessions.map((s) => s.session.release())));
const silent = { info() {}, warn() {} };
const IDS = [49406, 320, 1929, 530, 2368, ...Array<number>(72).fill(49407)].map((id) => id % 1000);

/** A tiny optimum-style text encoder (it outputs hidden_states.0…L) and its raw outputs for IDS. */
async function encoder(options: { dtype?: "float32" | "float16"; externalData?: boolean } = {}) {
  const dir = await tinyModelDir({ exporter: "optimum", ...options });
  const loaded = await createSession(dir, "text_encoder/model.onnx", ["cpu"], silent);
  sessions.push(loaded);
  const session = new TextEncoderSession(loaded, {
    penultimate: false,
    pooled: false,
    modelPath: join(dir, "text_encoder/model.onnx"),
  });
  const ids = loaded.session.inputMetadata.find((m) => m.name === "input_ids");
  const int64 = ids?.isTensor === true && ids.type === "int64";
  const feeds = {
    input_ids: int64
      ? new Tensor("int64", BigInt64Array.from(IDS, BigInt), [1, IDS.length])
      : new Tensor("int32", Int32Array.from(IDS), [1, IDS.length]),
  };
  const results = await loaded.session.run(feeds);
  const output = (name: string) => outputData(loaded, results, name).data;
  const layers = loaded.session.outputNames.filter((n) => n.startsWith("hidden_states.")).length - 1;
  return { dir, session, output, layers };
}

const maxDiff = (a: Float32Array, b: Float32Array) =>
  a.reduce((worst, v, i) => Math.max(worst, Math.abs(v - (b[i] as number))), 0);

describe("clip skip", () => {
  for (const variant of [
    { dtype: "float32", externalData: false, tolerance: 1e-5 },
    { dtype: "float32", externalData: true, tolerance: 1e-5 },
    { dtype: "float16", externalData: false, tolerance: 2e-2 },
  ] as const) {
    it(`reads the final LayerNorm from the file: applied to the last layer it gives last_hidden_state (${variant.dtype}${variant.externalData ? ", external data" : ""})`, async () => {
      const { dir, output, layers } = await encoder(variant);
      const found = await readSmallInitializers(
        join(dir, "text_encoder/model.onnx"),
        (name) => name.endsWith("final_layer_norm.weight") || name.endsWith("final_layer_norm.bias"),
      );
      const norm = {
        weight: [...found].find(([n]) => n.endsWith("weight"))?.[1] as Float32Array,
        bias: [...found].find(([n]) => n.endsWith("bias"))?.[1] as Float32Array,
      };
      const last = output("last_hidden_state");
      const width = norm.weight.length;
      expect(width).toBeGreaterThan(0);
      expect(last.length % width).toBe(0);
      const rebuilt = layerNorm(output(`hidden_states.${layers}`), width, norm, 1e-5);
      expect(maxDiff(rebuilt, last)).toBeLessThan(variant.tolerance);
      // and the states are really different before the norm
      expect(maxDiff(output(`hidden_states.${layers}`), last)).toBeGreaterThan(0.1);
    });
  }

  it("conditions on the layer before the last through the final LayerNorm, the last with 1", async () => {
    const { dir, session, output, layers } = await encoder();
    expect(session.maxClipSkip).toBe(layers);
    const one = await session.encode(IDS);
    expect(maxDiff(one.hidden, output("last_hidden_state"))).toBe(0);
    const found = await readSmallInitializers(join(dir, "text_encoder/model.onnx"), (name) =>
      /final_layer_norm\.(weight|bias)$/.test(name),
    );
    const norm = {
      weight: [...found].find(([n]) => n.endsWith("weight"))?.[1] as Float32Array,
      bias: [...found].find(([n]) => n.endsWith("bias"))?.[1] as Float32Array,
    };
    // the tiny encoder has two layers: clip skip 2 is its first layer's output
    for (let clipSkip = 2; clipSkip <= layers; clipSkip++) {
      const skipped = await session.encode(IDS, { clipSkip });
      const layer = output(`hidden_states.${layers + 1 - clipSkip}`);
      expect(skipped.hidden, `clip skip ${clipSkip}`).toEqual(layerNorm(layer, one.dims[2], norm, 1e-5));
      expect(maxDiff(skipped.hidden, one.hidden)).toBeGreaterThan(0.01);
    }
    await expect(session.encode(IDS, { clipSkip: layers + 1 })).rejects.toThrow(/outside 1…/);
  });

  it("answers the request, naming clipSkip, when the export's final LayerNorm cannot be found", async () => {
    const dir = await tinyModelDir({ exporter: "optimum" });
    const loaded = await createSession(dir, "text_encoder/model.onnx", ["cpu"], silent);
    sessions.push(loaded);
    // pointed at a file without the norm's weights, as an export that renamed them would be
    const session = new TextEncoderSession(loaded, {
      penultimate: false,
      pooled: false,
      modelPath: join(dir, "vae_decoder/model.onnx"),
    });
    const error = await session.encode(IDS, { clipSkip: 2 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).param).toBe("clipSkip");
    expect((error as Error).message).toMatch(/is not available for this model: .*final_layer_norm/);
  });

  it("is part of the pipeline: a different image, written into the image's parameters", async () => {
    const pipeline = await loadTiny({ exporter: "optimum" });
    try {
      const request = { prompt: "a red fox", width: 64, height: 64, steps: 3, guidanceScale: 7, seed: 5 };
      const plain = await pipeline.generate(request);
      const skipped = await pipeline.generate({ ...request, clipSkip: 2 });
      const same = await pipeline.generate({ ...request, clipSkip: 1 });
      expect(Buffer.from(same.images[0]?.rgb ?? []).equals(Buffer.from(plain.images[0]?.rgb ?? []))).toBe(
        true,
      );
      expect(Buffer.from(skipped.images[0]?.rgb ?? []).equals(Buffer.from(plain.images[0]?.rgb ?? []))).toBe(
        false,
      );
      expect(skipped.images[0]?.metadata?.parameters).toMatch(/, Clip skip: 2/);
      expect(plain.images[0]?.metadata?.parameters).not.toMatch(/Clip skip/);
      expect(skipped.images[0]?.metadata?.recipe).toMatchObject({ clipSkip: 2 });
      // batched requests keep each one's own clip skip
      const [a, b] = await pipeline.generateBatch([{ request }, { request: { ...request, clipSkip: 2 } }]);
      expect(a?.ok && b?.ok).toBe(true);
      if (a?.ok && b?.ok) {
        expect(
          Buffer.from(a.result.images[0]?.rgb ?? []).equals(Buffer.from(plain.images[0]?.rgb ?? [])),
        ).toBe(true);
        expect(
          Buffer.from(b.result.images[0]?.rgb ?? []).equals(Buffer.from(skipped.images[0]?.rgb ?? [])),
        ).toBe(true);
      }
      await expect(pipeline.generate({ ...request, clipSkip: 99 })).rejects.toThrow(
        /has to be an integer from 1 to/,
      );
    } finally {
      await pipeline.release();
    }
  });

  it("is refused, naming clipSkip, where the export has no per-layer states or the model is SDXL", async () => {
    for (const options of [{}, { family: "sdxl", exporter: "optimum" }] as const) {
      const pipeline = await loadTiny(options);
      try {
        const request = {
          prompt: "a",
          width: 64,
          height: 64,
          steps: 1,
          guidanceScale: 7,
          seed: 1,
          clipSkip: 2,
        };
        const error = await pipeline.generate(request).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InvalidArgumentError);
        expect((error as InvalidArgumentError).param).toBe("clipSkip");
        expect((error as Error).message).toMatch(/has to be 1 for this model/);
      } finally {
        await pipeline.release();
      }
    }
  });
});
