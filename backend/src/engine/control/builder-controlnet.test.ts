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
const request: GenerationRequest = {
  prompt: "a fox",
  width: 32,
  height: 48,
  steps: 3,
  guidanceScale: 4,
  seed: 5,
};

const cannyUnit = (controlNet: ControlNetSession) => ({
  controlNet,
  map: canny(testPattern(32, 48), 50, 100),
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
});

const tinyControlNet = async (family: TinyControlNetFamily) =>
  loadControlNet(
    await ensureTinyControlNet(TEST_MODEL_CACHE, `canny-tiny-${family}`, 1, family),
    ["cpu"],
    silent,
  );
const tinyControlNetModel = async (family: TinyControlNetFamily) =>
  loadPipeline(await ensureTinyModel(TEST_MODEL_CACHE, { family, controlnet: true }), {
    executionProviders: ["cpu"],
  });

describe.each([
  { family: "sd15" as TinyControlNetFamily, residuals: 13 },
  // SDXL: text_embeds and time_ids go to the ControlNet as to the UNet; 9 down residuals + 1 mid
  { family: "sdxl" as TinyControlNetFamily, residuals: 10 },
])("the model builder's $family-shaped ControlNet and ControlNet UNet", ({ family, residuals }) => {
  let pipeline: Pipeline;
  let controlNet: ControlNetSession;

  beforeAll(async () => {
    pipeline = await tinyControlNetModel(family);
    controlNet = await tinyControlNet(family);
  });
  afterAll(async () => {
    await Promise.all([pipeline?.release(), controlNet?.release()]);
  });

  it(`match by metadata (${residuals} residuals) and a canny map steers the image; weight 0 changes nothing`, async () => {
    expect(controlNet.residualCount).toBe(residuals);
    const unit = cannyUnit(controlNet);
    const plain = (await pipeline.generate(request)).images[0];
    const controlled = (await pipeline.generate({ ...request, controlNet: [unit] })).images[0];
    const zero = (await pipeline.generate({ ...request, controlNet: [{ ...unit, weight: 0 }] })).images[0];
    expect(meanAbsDiff(plain?.rgb as Uint8Array, controlled?.rgb as Uint8Array)).toBeGreaterThan(0.5);
    expect(zero?.rgb).toEqual(plain?.rgb);
  });
});

describe("a ControlNet of the other architecture", () => {
  it("is refused by the unit's model field: an SD 1.5 ControlNet's 13 residuals on the SDXL UNet's 10", async () => {
    const pipeline = await tinyControlNetModel("sdxl");
    const controlNet = await tinyControlNet("sd15");
    try {
      await expect(pipeline.generate({ ...request, controlNet: [cannyUnit(controlNet)] })).rejects.toThrow(
        /controlnet\.0\.model.*13 residuals.*takes 10/,
      );
    } finally {
      await Promise.all([pipeline.release(), controlNet.release()]);
    }
  });
});
