import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import onnx from "onnx-proto";
import { InferenceSession, type Tensor } from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { floatTensor, floatValues, generateImage, toPixels } from "./ort-test-support.ts";
import { TINY_FAMILY_SPECS } from "./tiny-families.ts";
import {
  buildTinyModelFiles,
  ensureTinyModel,
  resolveTinyOptions,
  TINY_FAMILIES,
  type TinyModelOptions,
  tinyModelFolderName,
} from "./tiny-model.ts";

let cacheDir: string;
beforeAll(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), "sdgate-variants-"));
});
afterAll(async () => {
  await rm(cacheDir, { recursive: true, force: true });
});

const EXPORTERS = ["diffusers", "optimum"] as const;
/**
 * The families whose folder has `text_encoder/` and that start from noise; the SDXL refiner's folder
 * (text_encoder_2/ alone, five time ids) is tested in engine/loading/refiner.test.ts.
 */
const BASE_FAMILIES = TINY_FAMILIES.filter((family) => TINY_FAMILY_SPECS[family].refiner !== true);
/** Every family with every exporter that writes it. */
const FAMILY_EXPORTERS = BASE_FAMILIES.flatMap((family) =>
  EXPORTERS.filter(
    (exporter) => exporter === "optimum" || TINY_FAMILY_SPECS[family].textEncoder2 === undefined,
  ).map((exporter) => ({ family, exporter })),
);
const ALL_VARIANTS: TinyModelOptions[] = FAMILY_EXPORTERS.flatMap((fe) =>
  (["float32", "float16"] as const).flatMap((dtype) =>
    [false, true].map((externalData) => ({ ...fe, dtype, externalData })),
  ),
);

const hashOf = (files: Map<string, Uint8Array>) => {
  const hash = createHash("sha256");
  for (const [path, bytes] of files) hash.update(path).update(bytes);
  return hash.digest("hex");
};

async function withSession<T>(path: string, use: (s: InferenceSession) => Promise<T>): Promise<T> {
  const session = await InferenceSession.create(path);
  try {
    return await use(session);
  } finally {
    await session.release();
  }
}

/**
 * name → [type, shape] for a session's inputs or outputs; symbolic dims other than `batch` read as
 * `"dynamic"`, since exporters name them differently.
 */
function signature(metadata: readonly InferenceSession.ValueMetadata[]) {
  const dim = (d: number | string) => (typeof d === "string" && d !== "batch" ? "dynamic" : d);
  return Object.fromEntries(
    metadata.map((m) => [m.name, m.isTensor ? [m.type, m.shape.map(dim)] : ["?", []]]),
  );
}
const D = "dynamic";

describe("tiny model variants", () => {
  it("have deterministic folder names, `tiny` for the default", () => {
    expect(tinyModelFolderName()).toBe("tiny");
    expect(tinyModelFolderName({ family: "sd15", exporter: "diffusers", dtype: "float32" })).toBe("tiny");
    expect(tinyModelFolderName({ family: "sdxl", dtype: "float16" })).toBe("tiny-sdxl-optimum-fp16");
    expect(tinyModelFolderName({ family: "lcm", exporter: "optimum", externalData: true })).toBe(
      "tiny-lcm-optimum-fp32-external",
    );
    expect(new Set(ALL_VARIANTS.map((v) => tinyModelFolderName(v))).size).toBe(ALL_VARIANTS.length);
  });

  it("refuse bad options, naming the option", () => {
    expect(() => resolveTinyOptions({ family: "sd3" as never })).toThrow(/options\.family/);
    expect(() => resolveTinyOptions({ family: "sdxl", exporter: "diffusers" })).toThrow(/options\.exporter/);
    expect(() => resolveTinyOptions({ dtype: "bfloat16" as never })).toThrow(/options\.dtype/);
    expect(() => buildTinyModelFiles({ family: "sdxl", int64InputIds: true })).toThrow(
      /default tiny model only/,
    );
  });

  it(`all ${ALL_VARIANTS.length} build byte-identically, each in well under a second`, () => {
    for (const options of ALL_VARIANTS) {
      const startedMs = performance.now();
      const first = buildTinyModelFiles(options);
      expect(performance.now() - startedMs, tinyModelFolderName(options)).toBeLessThan(1000);
      expect(hashOf(buildTinyModelFiles(options)), tinyModelFolderName(options)).toBe(hashOf(first));
    }
  });

  it.each(FAMILY_EXPORTERS)(
    "$family from $exporter: sessions declare the exporter's names, dtypes and shapes",
    async ({ family, exporter }) => {
      const spec = TINY_FAMILY_SPECS[family];
      const dir = await ensureTinyModel(cacheDir, { family, exporter });
      const optimum = exporter === "optimum";
      const ids = optimum ? "int64" : "int32";
      const hiddenStates = (width: number, layers: number, on: boolean) =>
        on
          ? Object.fromEntries(
              Array.from({ length: layers + 1 }, (_, i) => [
                `hidden_states.${i}`,
                ["float32", ["batch", 77, width]],
              ]),
            )
          : {};
      const sdxl = spec.textEncoder2 !== undefined;
      const d1 = spec.textEncoder.hiddenSize;
      await withSession(join(dir, "text_encoder/model.onnx"), async (s) => {
        expect(signature(s.inputMetadata)).toEqual({ input_ids: [ids, ["batch", 77]] });
        expect(signature(s.outputMetadata)).toEqual({
          last_hidden_state: ["float32", ["batch", 77, d1]],
          pooler_output: ["float32", ["batch", d1]],
          ...hiddenStates(d1, spec.textEncoder.layers, optimum || sdxl),
        });
      });
      if (spec.textEncoder2 !== undefined) {
        const d2 = spec.textEncoder2.hiddenSize;
        await withSession(join(dir, "text_encoder_2/model.onnx"), async (s) => {
          expect(s.outputNames.slice(0, 2)).toEqual(["text_embeds", "last_hidden_state"]);
          expect(signature(s.outputMetadata)).toEqual({
            text_embeds: ["float32", ["batch", spec.textEncoder2?.projectionDim]],
            last_hidden_state: ["float32", ["batch", 77, d2]],
            ...hiddenStates(d2, spec.textEncoder2?.layers ?? 0, true),
          });
        });
      }
      await withSession(join(dir, "unet/model.onnx"), async (s) => {
        const addition = spec.unet.addition;
        expect(signature(s.inputMetadata)).toEqual({
          sample: ["float32", ["batch", spec.unet.inChannels, D, D]],
          timestep: optimum ? ["int64", [1]] : ["float32", ["batch"]],
          encoder_hidden_states: ["float32", ["batch", D, spec.unet.crossAttentionDim]],
          ...(addition
            ? {
                text_embeds: ["float32", ["batch", addition.textEmbedDim]],
                time_ids: ["float32", ["batch", 6]],
              }
            : {}),
          ...(spec.unet.timeCondProjDim ? { timestep_cond: ["float32", ["batch", 256]] } : {}),
        });
        expect(signature(s.outputMetadata)).toEqual({ out_sample: ["float32", ["batch", 4, D, D]] });
      });
      await withSession(join(dir, "vae_encoder/model.onnx"), async (s) => {
        expect(signature(s.inputMetadata)).toEqual({ sample: ["float32", ["batch", 3, D, D]] });
        const name = optimum ? "latent_parameters" : "latent_sample";
        expect(signature(s.outputMetadata)).toEqual({
          [name]: ["float32", ["batch", optimum ? 8 : 4, D, D]],
        });
        const image = Float32Array.from({ length: 3 * 64 * 64 }, (_, i) => Math.sin(i / 50));
        const out = await s.run({ sample: floatTensor(image, [1, 3, 64, 64], "float32") });
        expect(out[name]?.dims).toEqual([1, optimum ? 8 : 4, 8, 8]);
      });
      await withSession(join(dir, "vae_decoder/model.onnx"), async (s) => {
        expect(signature(s.inputMetadata)).toEqual({
          latent_sample: ["float32", ["batch", 4, D, D]],
        });
        expect(signature(s.outputMetadata)).toEqual({ sample: ["float32", ["batch", 3, D, D]] });
      });
      // One 64×64 pass through every network, feeding what each session declares.
      const image = await generateImage({
        modelDir: dir,
        dtype: "float32",
        ids: [998, 5, ...new Array(75).fill(999)],
        seed: 1,
        steps: 1,
      });
      expect(image.every(Number.isFinite)).toBe(true);
      const config = JSON.parse(await readFile(join(dir, "vae_decoder/config.json"), "utf8"));
      expect(config.scaling_factor).toBe(sdxl ? 0.13025 : 0.18215);
      const index = JSON.parse(await readFile(join(dir, "model_index.json"), "utf8"));
      expect(index._class_name).toBe(spec.pipelineClass[exporter]);
      const tokenizer2 = sdxl
        ? JSON.parse(await readFile(join(dir, "tokenizer_2/special_tokens_map.json"), "utf8"))
        : undefined;
      expect(tokenizer2?.pad_token).toBe(sdxl ? "!" : undefined);
    },
  );

  it.each(BASE_FAMILIES)(
    "%s: a 64×64 image that changes with the prompt and with the seed",
    async (family) => {
      const dir = await ensureTinyModel(cacheDir, { family });
      const ids = (words: number[]) => [998, ...words, ...new Array(76 - words.length).fill(999)];
      const generate = async (words: number[], seed: number) =>
        toPixels(await generateImage({ modelDir: dir, dtype: "float32", ids: ids(words), seed, steps: 3 }));
      const [a, otherSeed, otherPrompt] = await Promise.all([
        generate([100, 200, 300], 1),
        generate([100, 200, 300], 2),
        generate([400, 500, 600, 700], 1),
      ]);
      const differing = (x: Uint8Array, y: Uint8Array) => x.filter((v, i) => v !== y[i]).length / x.length;
      expect(differing(a, otherSeed)).toBeGreaterThan(0.5);
      expect(differing(a, otherPrompt)).toBeGreaterThan(0.5);
      const mean = a.reduce((s, v) => s + v, 0) / a.length;
      const spread = Math.sqrt(a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length);
      expect(spread).toBeGreaterThan(20);
      expect(a.filter((v) => v === 0 || v === 255).length / a.length).toBeLessThan(0.3);
    },
  );
});

describe("float16 and external-data variants", () => {
  it.each(FAMILY_EXPORTERS)(
    "$family from $exporter in float16 with model.onnx_data: float16 in and out, weights followed",
    async ({ family, exporter }) => {
      const dir = await ensureTinyModel(cacheDir, { family, exporter, dtype: "float16", externalData: true });
      const networks = ["text_encoder", "unet", "vae_encoder", "vae_decoder"];
      if (TINY_FAMILY_SPECS[family].textEncoder2 !== undefined) networks.push("text_encoder_2");
      for (const network of networks) {
        const model = onnx.onnx.ModelProto.decode(await readFile(join(dir, network, "model.onnx")));
        const external = (model.graph?.initializer ?? []).filter((t) => t.dataLocation === 1);
        expect(external.length, network).toBeGreaterThan(0);
        for (const tensor of external)
          expect(tensor.externalData?.find((e) => e.key === "location")?.value).toBe("model.onnx_data");
        // Every float weight is float16 (dtype 10); float32 appears only in the timestep-embedding
        // constants and Resize scales that real fp16 exports keep in float32.
        const weights = (model.graph?.initializer ?? []).filter((t) => !t.name?.startsWith("const_"));
        expect(
          weights.every((t) => t.dataType === 10 || t.dataType === 7 || t.dataType === 6),
          network,
        ).toBe(true);
        await withSession(join(dir, network, "model.onnx"), async (s) => {
          for (const m of [...s.inputMetadata, ...s.outputMetadata]) {
            if (m.isTensor && m.type.startsWith("float"))
              expect(m.type, `${network} ${m.name}`).toBe("float16");
          }
        });
      }
      const image = await generateImage({
        modelDir: dir,
        dtype: "float16",
        ids: [998, 100, 200, ...new Array(74).fill(999)],
        seed: 3,
        steps: 1,
      });
      expect(image).toHaveLength(3 * 64 * 64);
      expect(image.every(Number.isFinite)).toBe(true);
      await withSession(join(dir, "vae_encoder/model.onnx"), async (s) => {
        const pixels = Float32Array.from({ length: 3 * 64 * 64 }, (_, i) => Math.sin(i / 50));
        const out = await s.run({ sample: floatTensor(pixels, [1, 3, 64, 64], "float16") });
        const latent = out[s.outputNames[0] as string] as Tensor;
        // onnxruntime-node returns float16 as a Float16Array on Node ≥ 23, a Uint16Array before.
        expect(latent.type).toBe("float16");
        expect(latent.data.constructor.name).toMatch(/^(Float16Array|Uint16Array)$/);
        expect(floatValues(latent).every(Number.isFinite)).toBe(true);
      });
    },
  );

  it("external data gives the same numbers as the weights inline", async () => {
    const run = async (externalData: boolean) => {
      const dir = await ensureTinyModel(cacheDir, { family: "sd15", exporter: "optimum", externalData });
      return withSession(join(dir, "vae_decoder/model.onnx"), async (s) => {
        const latent = Float32Array.from({ length: 4 * 8 * 8 }, (_, i) => Math.cos(i));
        const out = await s.run({ latent_sample: floatTensor(latent, [1, 4, 8, 8], "float32") });
        return floatValues(out.sample as Tensor);
      });
    };
    expect(await run(true)).toEqual(await run(false));
  });
});
