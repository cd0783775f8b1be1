import { BACKEND_STATUS_PATH, backendStatusSchema, type ResolvedGenerationRequest } from "@sdgate/shared";
import { exampleResolvedRequest } from "@sdgate/shared/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readImageMetadata } from "../engine/index.ts";
import { tinyModelDir } from "../engine/test-models.ts";
import { silentLogger } from "../logger.ts";
import { setupApp, signed } from "../server/test-app.ts";
import type { JobOutcome } from "./engine.ts";
import { InProcessEngine } from "./in-process-engine.ts";
import { loadModels } from "./load-models.ts";
import { PromptCounter } from "./prompt-counter.ts";

const base: ResolvedGenerationRequest = exampleResolvedRequest({
  model: "sdxl",
  prompt: "a lighthouse on a cliff at dusk",
  width: 64,
  height: 64,
  steps: 4,
  seed: 11,
});
const REFINER = { model: "sdxl-refiner", switch_at: 0.5, switch_by: "steps" } as const;
const refined: ResolvedGenerationRequest = {
  ...base,
  refiner: REFINER,
  aesthetic_score: 6,
  negative_aesthetic_score: 2.5,
};

let engine: InProcessEngine;
let folders: Record<string, string>;

beforeAll(async () => {
  const [sdxl, refiner] = await Promise.all([
    tinyModelDir({ family: "sdxl" }),
    tinyModelDir({ family: "sdxl-refiner" }),
  ]);
  folders = { sdxl, "sdxl-refiner": refiner };
  engine = new InProcessEngine(await loadModels(folders, ["cpu"], silentLogger), 4, silentLogger);
  // building (first run only) and warming up two models takes seconds when other files share the cores
}, 60_000);

afterAll(async () => {
  await engine.close();
});

async function runOne(request: ResolvedGenerationRequest) {
  let outcome: JobOutcome | undefined;
  const report = await engine.run([{ id: "job", request, previewEverySteps: 0, inputs: {} }], {
    onProgress: () => {},
    onDone: (_, done) => {
      outcome = done;
    },
  });
  return { outcome: outcome as JobOutcome, report };
}

const b64Of = (outcome: JobOutcome) => {
  if (!outcome.ok) throw new Error(`expected images, got ${JSON.stringify(outcome.error)}`);
  return outcome.response.images[0]?.b64 ?? "";
};

describe("a job with a refiner", () => {
  it("runs the base, then the refiner's UNet from its switch, and says so in the infotext", async () => {
    const [plain, withRefiner] = [await runOne(base), await runOne(refined)];
    expect(b64Of(withRefiner.outcome)).not.toBe(b64Of(plain.outcome));
    const metadata = await readImageMetadata(Buffer.from(b64Of(withRefiner.outcome), "base64"));
    expect(metadata.parameters).toContain("Refiner: sdxl-refiner");
    expect(metadata.parameters).toContain("Refiner switch at: 0.5");
  });

  it("refuses, naming refiner.model, a refiner model that is not a refiner or not served", async () => {
    const notRefiner = await runOne({ ...refined, refiner: { ...REFINER, model: "sdxl" } });
    expect(notRefiner.outcome).toMatchObject({
      ok: false,
      error: { code: "invalid_request", param: "refiner.model" },
    });
    const unknown = await runOne({ ...refined, refiner: { ...REFINER, model: "elsewhere" } });
    expect(unknown.outcome).toMatchObject({
      ok: false,
      error: { code: "model_not_found", param: "refiner.model" },
    });
  });

  it("refuses aesthetic scores on a base model without a refiner, naming the field", async () => {
    const { outcome } = await runOne({ ...base, aesthetic_score: 7 });
    expect(outcome).toMatchObject({
      ok: false,
      error: { code: "invalid_request", param: "aesthetic_score" },
    });
  });
});

/** A positive prompt read over the default steps, as the tokenize route reads one. */
const READING = { steps: 20, guidanceScale: 7, negative: false };

describe("a backend serving a refiner", () => {
  it("reports in its signed status each model's architecture, detected from its files", async () => {
    const { app } = setupApp({ engine });
    const status = await app.request(BACKEND_STATUS_PATH, await signed(BACKEND_STATUS_PATH, null));
    expect(backendStatusSchema.parse(await status.json()).architectures).toEqual({
      sdxl: "sdxl",
      "sdxl-refiner": "sdxl-refiner",
    });
  });

  it("counts prompt tokens with the refiner's own tokenizer (it has only tokenizer_2)", async () => {
    const counter = await PromptCounter.load(folders, engine.models);
    expect(counter.count("sdxl-refiner", "a red fox", READING).chunks[0]?.tokens).toBe(
      counter.count("sdxl", "a red fox", READING).chunks[0]?.tokens,
    );
  });
});
