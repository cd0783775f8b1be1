import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureTinyControlNet, ensureTinyLora, ensureTinyModel } from "../../model-builder/index.ts";
import { canny } from "../control/canny.ts";
import type { ControlNetUnit } from "../control/control-unit.ts";
import type { ControlNetSession } from "../control/controlnet-session.ts";
import { loadControlNet } from "../control/load-controlnet.ts";
import { loadPipeline } from "../loading/load-pipeline.ts";
import { meanAbsDiff, TEST_MODEL_CACHE, testPattern } from "../test-models.ts";
import type { GenerationRequest, Pipeline } from "../types.ts";
import type { RequestLora } from "./lora-set.ts";
import { writeTestLora } from "./lora-test-support.ts";

const silent = { info() {}, warn() {} };
let pipeline: Pipeline;
let controlNet: ControlNetSession;
let loraDir: string;

beforeAll(async () => {
  const model = await ensureTinyModel(TEST_MODEL_CACHE, { controlnet: true, loraInputs: true });
  pipeline = await loadPipeline(model, { executionProviders: ["cpu"] });
  controlNet = await loadControlNet(
    await ensureTinyControlNet(TEST_MODEL_CACHE, "canny-tiny"),
    ["cpu"],
    silent,
  );
  loraDir = await mkdtemp(join(tmpdir(), "sdgate-lora-cnet-"));
});
afterAll(async () => {
  await Promise.all([pipeline?.release(), controlNet?.release()]);
  if (loraDir !== undefined) await rm(loraDir, { recursive: true, force: true });
});

const request: GenerationRequest = {
  prompt: "a fox",
  width: 32,
  height: 32,
  steps: 3,
  guidanceScale: 4,
  seed: 9,
};

async function requestLora(name: string, path: string, weight: number): Promise<RequestLora> {
  const digest = createHash("sha256")
    .update(await readFile(path))
    .digest("hex");
  return { name, digest, weight, path };
}

/** At full strength through every step, so the ControlNet UNet runs every step. */
const FULL_STRENGTH = { weight: 1, guidanceStart: 0, guidanceEnd: 1, controlMode: "balanced" } as const;

function cannyUnit(): ControlNetUnit {
  const map = canny(testPattern(32, 32), 50, 100);
  return {
    ...FULL_STRENGTH,
    controlNet,
    map,
    record: {
      module: "canny",
      model: "canny-tiny",
      digest: "0".repeat(64),
      resizeMode: "just_resize",
      imageSha256: "",
    },
  };
}

async function rgb(overrides: Partial<GenerationRequest>): Promise<Uint8Array> {
  return (await pipeline.generate({ ...request, ...overrides })).images[0]?.rgb as Uint8Array;
}

describe("a LoRA and a ControlNet unit in one request, on the tiny model built with both", () => {
  it("the LoRA applies to the ControlNet UNet too (a UNet-only LoRA changes a controlled image)", async () => {
    const path = join(loraDir, "unet-only.safetensors");
    writeTestLora(
      path,
      [
        {
          kohya: "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q",
          shape: [16, 16],
          rank: 4,
        },
      ],
      5,
    );
    const lora = await requestLora("unet-only", path, 1);
    const controlled = await rgb({ controlNet: [cannyUnit()] });
    const both = await rgb({ controlNet: [cannyUnit()], lora: [lora] });
    expect(meanAbsDiff(controlled, both)).toBeGreaterThan(0.5);
  });

  it("the stack's tiny LoRA fits, and the infotext records both", async () => {
    const lora = await requestLora("tiny-ink", await ensureTinyLora(loraDir, "tiny-ink"), 0.8);
    const plain = await rgb({});
    const withLora = await rgb({ lora: [lora] });
    const generated = await pipeline.generate({ ...request, lora: [lora], controlNet: [cannyUnit()] });
    const both = generated.images[0];
    expect(meanAbsDiff(plain, withLora)).toBeGreaterThan(0.5);
    expect(meanAbsDiff(withLora, both?.rgb as Uint8Array)).toBeGreaterThan(0.5);
    expect(both?.metadata?.parameters).toMatch(/Lora hashes: "tiny-ink: [0-9a-f]{12}"/);
    expect(both?.metadata?.parameters).toMatch(/ControlNet 0: "/);
  });
});
