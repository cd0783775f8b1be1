import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ResolvedGenerationRequest } from "@sdgate/shared";
import { exampleResolvedRequest } from "@sdgate/shared/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readImageMetadata } from "../engine/index.ts";
import { writeTestLora } from "../engine/lora/lora-test-support.ts";
import { silentLogger } from "../logger.ts";
import { ensureTinyModel } from "../model-builder/index.ts";
import type { JobOutcome } from "./engine.ts";
import { InProcessEngine } from "./in-process-engine.ts";
import { loadModels } from "./load-models.ts";

const cacheDir = mkdtempSync(join(tmpdir(), "sdgate-lora-jobs-"));
const TO_Q = "lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn1_to_q";
const fitting = join(cacheDir, "ink.safetensors");
const unfit = join(cacheDir, "wide.safetensors");
writeTestLora(
  fitting,
  [
    { kohya: TO_Q, shape: [64, 64], rank: 4 },
    { kohya: "lora_te_text_model_encoder_layers_0_self_attn_q_proj", shape: [32, 32], rank: 2 },
  ],
  3,
);
writeTestLora(unfit, [{ kohya: TO_Q, shape: [128, 128], rank: 4 }], 3);
const digestOf = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");
const ink = { name: "ink", digest: digestOf(fitting), weight: 0.8 };
const wide = { name: "wide", digest: digestOf(unfit), weight: 1 };
const request: ResolvedGenerationRequest = exampleResolvedRequest({ prompt: "a boat", steps: 3, seed: 4 });
let engine: InProcessEngine;

beforeAll(async () => {
  const dir = await ensureTinyModel(cacheDir, { loraInputs: true });
  const models = await loadModels({ tiny: dir }, ["cpu"], silentLogger);
  engine = new InProcessEngine(models, 4, silentLogger, {
    loraFiles: { [ink.digest]: fitting, [wide.digest]: unfit },
  });
});
afterAll(async () => {
  await engine.close();
  rmSync(cacheDir, { recursive: true, force: true });
});

async function run(r: ResolvedGenerationRequest): Promise<JobOutcome> {
  let outcome: JobOutcome | undefined;
  await engine.run([{ id: "job", request: r, previewEverySteps: 0, inputs: {} }], {
    onProgress: () => {},
    onDone: (_, done) => {
      outcome = done;
    },
  });
  return outcome as JobOutcome;
}

const firstImage = (outcome: JobOutcome) => {
  if (!outcome.ok) throw new Error(`expected an image, got ${JSON.stringify(outcome.error)}`);
  return Buffer.from(outcome.response.images[0]?.b64 ?? "", "base64");
};

describe("jobs that apply LoRAs on the backend", () => {
  it("apply the file the request's digest names, and say so in the image's parameters", async () => {
    const plain = firstImage(await run(request));
    const prompt = "a boat <lora:ink:0.8>";
    const withLora = firstImage(await run({ ...request, prompt, lora: [ink] }));
    expect(withLora.equals(plain)).toBe(false);
    const { parameters } = await readImageMetadata(withLora);
    expect(parameters).toMatch(/^a boat <lora:ink:0.8>\n/);
    expect(parameters).toContain(`Lora hashes: "ink: ${ink.digest.slice(0, 12)}"`);
  });

  it("refuse a LoRA that does not fit the model with a 400 naming lora", async () => {
    const outcome = await run({ ...request, lora: [wide] });
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.error).toMatchObject({ code: "invalid_request", param: "lora" });
    expect(outcome.error.message).toMatch(/model's layer is 64 × 64\), but is "wide"/);
  });
});
