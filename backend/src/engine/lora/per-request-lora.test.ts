import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isInvalidArgumentError } from "../errors.ts";
import { loadPipeline } from "../loading/load-pipeline.ts";
import { createSession } from "../models/onnx-session.ts";
import { TextEncoderSession } from "../models/text-encoder.ts";
import { UNetSession } from "../models/unet.ts";
import { maxAbsDiff } from "../test-models.ts";
import type { GenerationRequest } from "../types.ts";
import { readLoraAdapters } from "./lora-adapters.ts";
import { type AdaptedNetwork, loraSetFeeds, loraSetKey, type RequestLora } from "./lora-set.ts";
import { LoraTestModels, TEST_ADAPTERS } from "./lora-test-support.ts";

const models = new LoraTestModels();
const silent = { info() {}, warn() {}, error() {} };
beforeAll(() => models.build(), 120_000);
afterAll(() => models.remove());

interface Networks {
  unet: UNetSession;
  text: TextEncoderSession;
}

const opened = new Map<string, Promise<Networks>>();
/** A model's networks, opened once per file for the whole suite. */
function open(dir: string): Promise<Networks> {
  const known = opened.get(dir);
  if (known !== undefined) return known;
  const networks = openNetworks(dir);
  opened.set(dir, networks);
  return networks;
}

async function openNetworks(dir: string): Promise<Networks> {
  const unet = new UNetSession(await createSession(dir, "unet/model.onnx", ["cpu"], silent));
  const text = new TextEncoderSession(await createSession(dir, "text_encoder/model.onnx", ["cpu"], silent), {
    penultimate: false,
    pooled: false,
  });
  return { unet, text };
}

/** What both networks give for one fixed input: the text encoding, then the UNet on it. */
async function outputs({ unet, text }: Networks): Promise<{ text: Float32Array; unet: Float32Array }> {
  const ids = [49406, 320, 1125, 539, 49407, ...new Array(72).fill(49407)];
  const encoded = await text.encode(ids);
  const sample = Float32Array.from({ length: 4 * 16 * 16 }, (_, i) => Math.sin(i * 0.37));
  const predicted = await unet.predict({
    sample,
    sampleDims: [1, 4, 16, 16],
    timestep: 500,
    context: encoded.hidden,
    contextDims: encoded.dims,
  });
  return { text: encoded.hidden, unet: predicted };
}

/** The networks of the model with LoRA inputs, fed `loras`. */
function applied(base: Networks, loras: readonly RequestLora[]): Networks {
  const networks: AdaptedNetwork[] = [
    { target: "unet", slots: base.unet.adapterSlots },
    { target: "text_encoder", slots: base.text.adapterSlots },
  ];
  const set = loras.map((lora) => ({ lora, adapters: readLoraAdapters(lora.path) }));
  const [unetFeeds, textFeeds] = loraSetFeeds(networks, set);
  return { unet: base.unet.withAdapters(unetFeeds ?? {}), text: base.text.withAdapters(textFeeds ?? {}) };
}

/** Largest difference relative to the largest magnitude. */
function relativeError(got: Float32Array, want: Float32Array): number {
  expect(got.length).toBe(want.length);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    worst = Math.max(worst, Math.abs((got[i] as number) - (want[i] as number)));
    scale = Math.max(scale, Math.abs(want[i] as number));
  }
  return worst / scale;
}

const lora = (name: string, path: string, weight: number): RequestLora => ({
  name,
  digest: name.padEnd(64, "0"),
  weight,
  path,
});

describe("LoRA applied per request", () => {
  it("equals the build-time merge, UNet (Linear and LoCon) and text encoder", async () => {
    const path = models.lora("style", TEST_ADAPTERS, 7);
    const [merged, base, plain] = await Promise.all([
      models.merged([{ path, scale: 0.5 }]).then(open),
      open(models.withInputs),
      open(models.plain),
    ]);
    const want = await outputs(merged);
    const got = await outputs(applied(base, [lora("style", path, 0.5)]));
    expect(relativeError(got.text, want.text)).toBeLessThan(1e-5);
    expect(relativeError(got.unet, want.unet)).toBeLessThan(1e-4);
    // and the LoRA does change them
    const without = await outputs(plain);
    expect(relativeError(without.text, want.text)).toBeGreaterThan(1e-3);
    expect(relativeError(without.unet, want.unet)).toBeGreaterThan(1e-3);
  }, 120_000);

  it("on a model built with the fused operators, takes the same feeds and gives what the standard model gives", async () => {
    const path = models.lora("fused-style", TEST_ADAPTERS, 7);
    const [fused, base] = await Promise.all([models.fusedWithInputs().then(open), open(models.withInputs)]);
    const fusedOutputs = async (set: readonly RequestLora[]) => {
      const [got, want] = await Promise.all([outputs(applied(fused, set)), outputs(applied(base, set))]);
      expect(relativeError(got.text, want.text)).toBeLessThan(1e-4);
      expect(relativeError(got.unet, want.unet)).toBeLessThan(1e-4);
      return got;
    };
    const empty = await fusedOutputs([]);
    const styled = await fusedOutputs([lora("style", path, 0.5)]);
    // the set reaches the fused networks
    expect(relativeError(empty.text, styled.text)).toBeGreaterThan(1e-3);
    expect(relativeError(empty.unet, styled.unet)).toBeGreaterThan(1e-3);
  }, 120_000);

  it("applies two LoRAs at once, one at a negative weight, as both merged", async () => {
    const first = models.lora("first", TEST_ADAPTERS.slice(0, 4), 11);
    const second = models.lora("second", TEST_ADAPTERS.slice(2), 23);
    const [merged, base] = await Promise.all([
      models
        .merged([
          { path: first, scale: 0.8 },
          { path: second, scale: -0.6 },
        ])
        .then(open),
      open(models.withInputs),
    ]);
    const want = await outputs(merged);
    const got = await outputs(applied(base, [lora("first", first, 0.8), lora("second", second, -0.6)]));
    expect(relativeError(got.text, want.text)).toBeLessThan(1e-5);
    expect(relativeError(got.unet, want.unet)).toBeLessThan(1e-4);
  }, 120_000);

  it("without a LoRA, gives what the model built without LoRA inputs gives", async () => {
    const [plain, base] = await Promise.all([open(models.plain), open(models.withInputs)]);
    const want = await outputs(plain);
    const got = await outputs(base);
    expect(relativeError(got.text, want.text)).toBeLessThan(1e-6);
    expect(relativeError(got.unet, want.unet)).toBeLessThan(1e-6);
  }, 60_000);

  it("refuses, naming `lora`, a LoRA for layers the model lacks or of other shapes", async () => {
    const base = await open(models.withInputs);
    const sdxl = models.lora(
      "sdxl",
      [{ kohya: "lora_unet_input_blocks_4_1_proj_in", shape: [40, 40], rank: 2 }],
      3,
    );
    const wide = models.lora(
      "wide",
      [{ ...(TEST_ADAPTERS[0] as (typeof TEST_ADAPTERS)[0]), shape: [320, 320] }],
      3,
    );
    for (const [name, path, reason] of [
      ["sdxl", sdxl, /no LoRA input for/],
      ["wide", wide, /320 \]|\[320, 4\]/],
    ] as const) {
      let caught: unknown;
      try {
        applied(base, [lora(name, path, 1)]);
      } catch (error) {
        caught = error;
      }
      expect(isInvalidArgumentError(caught) && caught.param).toBe("lora");
      expect(String(caught)).toMatch(name);
      expect(String(caught)).toMatch(reason);
    }
  }, 60_000);
});

describe("LoRA set keys", () => {
  it("are the same whatever order a request names its LoRAs in, and differ by weight", () => {
    const a = { digest: "a".repeat(64), weight: 0.5 };
    const b = { digest: "b".repeat(64), weight: 1 };
    expect(loraSetKey([a, b])).toBe(loraSetKey([b, a]));
    expect(loraSetKey([a, b])).not.toBe(loraSetKey([a, { ...b, weight: 0.9 }]));
    expect(loraSetKey([{ ...a, weight: 0 }])).toBe(loraSetKey(undefined));
  });
});

describe("a pipeline on a model with LoRA inputs", () => {
  const request: GenerationRequest = {
    prompt: "a red fox",
    width: 64,
    height: 64,
    steps: 2,
    guidanceScale: 7,
    seed: 9,
  };

  it("applies a request's LoRAs, writes their hashes, and reads no <lora:…> tag as text", async () => {
    const path = models.lora("hashed", TEST_ADAPTERS, 31);
    const style = lora("style", path, 0.9);
    const pipeline = await loadPipeline(models.withInputs);
    try {
      expect(pipeline.acceptsLoras).toBe(true);
      const tagged = await pipeline.generate({
        ...request,
        prompt: "a red <lora:style:0.9>fox",
        lora: [style],
      });
      const untagged = await pipeline.generate({ ...request, prompt: "a red fox", lora: [style] });
      const plain = await pipeline.generate(request);
      const [withTag, withoutTag, without] = [tagged, untagged, plain].map((r) => r.images[0]);
      expect(maxAbsDiff(withTag?.rgb as Uint8Array, withoutTag?.rgb as Uint8Array)).toBe(0);
      expect(maxAbsDiff(withTag?.rgb as Uint8Array, without?.rgb as Uint8Array)).toBeGreaterThan(0);
      expect(withTag?.metadata?.parameters).toMatch(/^a red <lora:style:0.9>fox\n/);
      expect(withTag?.metadata?.parameters).toContain(`Lora hashes: "style: ${style.digest.slice(0, 12)}"`);
      expect(without?.metadata?.parameters).not.toContain("Lora hashes");
    } finally {
      await pipeline.release();
    }
  }, 60_000);

  it("batches requests by LoRA set: each gets the image it gets alone", async () => {
    const first = lora("first", models.lora("batch-a", TEST_ADAPTERS.slice(0, 3), 41), 1);
    const second = lora("second", models.lora("batch-b", TEST_ADAPTERS.slice(3), 43), -0.5);
    const pipeline = await loadPipeline(models.withInputs);
    try {
      const requests: GenerationRequest[] = [
        { ...request, lora: [first] },
        { ...request, lora: [second, first] },
        { ...request, seed: 10, lora: [first] },
        request,
      ];
      const batched = await pipeline.generateBatch(
        requests.map((r) => ({ request: r })),
        { maxBatch: 4 },
      );
      for (const [i, alone] of requests.entries()) {
        const outcome = batched[i];
        if (!outcome?.ok) throw new Error(`request ${i}: ${String(outcome?.error)}`);
        const want = (await pipeline.generate(alone)).images[0]?.rgb as Uint8Array;
        expect(
          maxAbsDiff(outcome.result.images[0]?.rgb as Uint8Array, want),
          `request ${i}`,
        ).toBeLessThanOrEqual(1);
      }
    } finally {
      await pipeline.release();
    }
  }, 90_000);

  it("refuses LoRAs, naming `lora`, on a model built without LoRA inputs", async () => {
    const pipeline = await loadPipeline(models.plain);
    try {
      expect(pipeline.acceptsLoras).toBe(false);
      const refused = await pipeline
        .generate({ ...request, lora: [lora("style", models.lora("unused", TEST_ADAPTERS, 5), 1)] })
        .catch((error: unknown) => error);
      expect(isInvalidArgumentError(refused) && refused.param).toBe("lora");
      expect(String(refused)).toContain("--lora-inputs");
    } finally {
      await pipeline.release();
    }
  }, 60_000);
});
