import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ensureTinyControlNet,
  ensureTinyModel,
  type TinyControlNetFamily,
} from "../../model-builder/index.ts";
import { loadPipeline } from "../loading/load-pipeline.ts";
import { meanAbsDiff, TEST_MODEL_CACHE, testPattern } from "../test-models.ts";
import type { GenerationRequest, Pipeline } from "../types.ts";
import { canny } from "./canny.ts";
import type { ControlNetSession } from "./controlnet-session.ts";
import { loadControlNet } from "./load-controlnet.ts";

const silent = { info() {}, warn() {} };

describe.each([
  { family: "sd15" as TinyControlNetFamily, residuals: 13 },
  // SDXL: text_embeds and time_ids go to the ControlNet as to the UNet; 9 down residuals + 1 mid
  { family: "sdxl" as TinyControlNetFamily, residuals: 10 },
])("the model builder's $family-shaped ControlNet and ControlNet UNet", ({ family, residuals }) => {
  let pipeline: Pipeline;
  let controlNet: ControlNetSession;

  beforeAll(async () => {
    pipeline = await loadPipeline(await ensureTinyModel(TEST_MODEL_CACHE, { family, controlnet: true }), {
      executionProviders: ["cpu"],
    });
    controlNet = await loadControlNet(
      await ensureTinyControlNet(TEST_MODEL_CACHE, `canny-tiny-${family}`, 1, family),
      ["cpu"],
      silent,
    );
  });
  afterAll(async () => {
    await Promise.all([pipeline?.release(), controlNet?.release()]);
  });

  it(`match by metadata (${residuals} residuals) and a canny map steers the image; weight 0 changes nothing`, async () => {
    expect(controlNet.residualCount).toBe(residuals);
    const request: GenerationRequest = {
      prompt: "a fox",
      width: 32,
      height: 48,
      steps: 3,
      guidanceScale: 4,
      seed: 5,
    };
    const map = canny(testPattern(32, 48), 50, 100);
    const unit = {
      controlNet,
      map,
      weight: 1,
      guidanceStart: 0,
      guidanceEnd: 1,
      controlMode: "balanced" as const,
      record: {
        module: "canny",
        model: "canny-tiny",
        digest: "0".repeat(64),
        resizeMode: "just_resize" as const,
        imageSha256: "",
      },
    };
    const plain = (await pipeline.generate(request)).images[0];
    const controlled = (await pipeline.generate({ ...request, controlNet: [unit] })).images[0];
    const zero = (await pipeline.generate({ ...request, controlNet: [{ ...unit, weight: 0 }] })).images[0];
    expect(meanAbsDiff(plain?.rgb as Uint8Array, controlled?.rgb as Uint8Array)).toBeGreaterThan(0.5);
    expect(zero?.rgb).toEqual(plain?.rgb);
  });
});
