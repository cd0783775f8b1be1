import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importSdxl } from "../../model-import/import-sdxl.ts";
import { type AdapterSpec, writeKohya } from "../../model-import/lora-file-test-support.ts";
import * as fixtures from "../../model-import/sdxl-checkpoint-test-support.ts";
import { createSession } from "../models/onnx-session.ts";
import { TextEncoderSession } from "../models/text-encoder.ts";
import { UNetSession } from "../models/unet.ts";
import { readLoraAdapters } from "./lora-adapters.ts";
import { loraSetFeeds } from "./lora-set.ts";

/**
 * SDXL's LoRAs per request (issue 20 with issue 13's mechanism): a kohya LoRA that trains the UNet and
 * the second text encoder (`lora_te2_*`), fed to a model built with LoRA inputs, gives what the same
 * LoRA merged at build time gives. 1/16 widths, CPU.
 */
const DIVISOR = 16;
const root = mkdtempSync(join(tmpdir(), "sdgate-sdxl-lora-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const silent = { info() {}, warn() {} };

const SPECS: AdapterSpec[] = [
  {
    target: "text_encoder_2",
    module: "text_model.encoder.layers.0.self_attn.q_proj",
    kohya: "lora_te2_text_model_encoder_layers_0_self_attn_q_proj",
    shape: [80, 80],
    rank: 2,
    alpha: 1,
  },
  {
    target: "unet",
    module: "up_blocks.1.attentions.2.transformer_blocks.1.attn1.to_v",
    kohya: "lora_unet_output_blocks_5_1_transformer_blocks_1_attn1_to_v",
    shape: [40, 40],
    rank: 2,
  },
];

interface Sdxl {
  te2: TextEncoderSession;
  unet: UNetSession;
}

async function open(dir: string): Promise<Sdxl> {
  const session = (file: string) => createSession(dir, file, ["cpu"], silent);
  return {
    te2: new TextEncoderSession(await session("text_encoder_2/model.onnx"), {
      penultimate: true,
      pooled: true,
    }),
    unet: new UNetSession(await session("unet/model.onnx")),
  };
}

/** The second encoder's states and pooled output for one prompt, then the UNet on them. */
async function outputs({ te2, unet }: Sdxl) {
  const ids = [49406, 320, 1125, 539, 49407, ...new Array(72).fill(0)];
  const text = await te2.encode(ids);
  const width = text.dims[2];
  // the UNet's context is both encoders' states side by side: the first's stand in as zeros
  const context = new Float32Array(77 * (width + 48));
  for (let t = 0; t < 77; t++)
    context.set(text.hidden.subarray(t * width, (t + 1) * width), t * (width + 48) + 48);
  const unetOut = await unet.predict({
    sample: Float32Array.from({ length: 4 * 8 * 8 }, (_, i) => Math.sin(i * 0.37)),
    sampleDims: [1, 4, 8, 8],
    timestep: 500,
    context,
    contextDims: [1, 77, width + 48],
    textEmbeds: text.pooled ?? new Float32Array(0),
    timeIds: Float32Array.of(64, 64, 0, 0, 64, 64),
  });
  return { hidden: text.hidden, pooled: text.pooled ?? new Float32Array(0), unet: unetOut };
}

function relativeError(got: Float32Array, want: Float32Array): number {
  let worst = 0;
  let scale = 0;
  want.forEach((value, i) => {
    worst = Math.max(worst, Math.abs((got[i] as number) - value));
    scale = Math.max(scale, Math.abs(value));
  });
  return worst / scale;
}

describe("SDXL LoRAs per request", () => {
  const lora = join(root, "style.safetensors");
  let merged: Sdxl;
  let withInputs: Sdxl;
  beforeAll(async () => {
    const file = join(root, "sdxl.safetensors");
    fixtures.writeSdxlSingleFile(file, fixtures.randomSdxlRequests(11, DIVISOR), { dtype: "F32" });
    writeKohya(lora, SPECS);
    const options = { dtype: "float32", widthDivisor: DIVISOR, fromCheckpoint: file } as const;
    await importSdxl(join(root, "merged"), { ...options, loras: [{ path: lora, scale: 0.7 }] });
    await importSdxl(join(root, "inputs"), { ...options, loraInputs: "linear" });
    merged = await open(join(root, "merged"));
    withInputs = await open(join(root, "inputs"));
  }, 60_000);

  it("feeds lora_te2_* to the second text encoder and the rest to the UNet, as the build-time merge does", async () => {
    const networks = [
      { target: "unet" as const, slots: withInputs.unet.adapterSlots },
      { target: "text_encoder_2" as const, slots: withInputs.te2.adapterSlots },
    ];
    const request = { name: "style", digest: "d", weight: 0.7, path: lora };
    const [unetFeeds, te2Feeds] = loraSetFeeds(networks, [
      { lora: request, adapters: readLoraAdapters(lora, "sdxl") },
    ]);
    const applied: Sdxl = {
      unet: withInputs.unet.withAdapters(unetFeeds ?? {}),
      te2: withInputs.te2.withAdapters(te2Feeds ?? {}),
    };
    const [want, got, none] = await Promise.all([outputs(merged), outputs(applied), outputs(withInputs)]);
    expect(relativeError(got.hidden, want.hidden)).toBeLessThan(1e-4);
    expect(relativeError(got.pooled, want.pooled)).toBeLessThan(1e-4);
    expect(relativeError(got.unet, want.unet)).toBeLessThan(1e-4);
    // and the LoRA is not a no-op: without it the second encoder says something else
    expect(relativeError(none.hidden, want.hidden)).toBeGreaterThan(1e-3);
  });
});
