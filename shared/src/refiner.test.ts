import { describe, expect, it } from "vitest";
import { requestHash } from "./canonical.ts";
import { parseGenerationRequest, resolveGenerationRequest } from "./generation-request.ts";
import { type ModelInfo, modelInfoSchema, TINY_MODEL } from "./models.ts";
import { refinerSwitchStep, sdxlScheduleTimesteps } from "./refiner.ts";

const SDXL = modelInfoSchema.parse({ id: "sdxl", architecture: "sdxl" });
const REFINER = modelInfoSchema.parse({ id: "sdxl-refiner", architecture: "sdxl-refiner" });

function outcome(body: object, model: ModelInfo = SDXL, refinerModel: ModelInfo | null = REFINER) {
  const parsed = parseGenerationRequest({ prompt: "a fox", size: "512x512", ...body });
  if (!parsed.ok) return parsed;
  return resolveGenerationRequest(parsed.value, model, 7, undefined, refinerModel);
}

function resolve(body: object, model?: ModelInfo) {
  const resolved = outcome(body, model);
  if (!resolved.ok) throw new Error(resolved.error.message);
  return resolved.value;
}

function refusedParam(body: object, model?: ModelInfo, refinerModel?: ModelInfo | null) {
  const resolved = outcome(body, model, refinerModel);
  if (resolved.ok) throw new Error("accepted");
  return resolved.error.param;
}

describe("the SDXL refiner in the request", () => {
  it("takes A1111's defaults (switch at 0.8 by timestep) and diffusers' aesthetic scores", () => {
    const resolved = resolve({ refiner: { model: "sdxl-refiner" } });
    expect(resolved.refiner).toEqual({ model: "sdxl-refiner", switch_at: 0.8, switch_by: "timestep" });
    expect([resolved.aesthetic_score, resolved.negative_aesthetic_score]).toEqual([6, 2.5]);
  });

  it("leaves requests without a refiner as they were, so their cache keys stay", async () => {
    const plain = resolve({});
    expect(Object.keys(plain).filter((key) => key.includes("refiner") || key.includes("aesthetic"))).toEqual(
      [],
    );
    expect(await requestHash(resolve({ refiner: null }))).toBe(await requestHash(plain));
  });

  it("puts the refiner and its settings in the cache key; spelled-out defaults share one", async () => {
    const plain = await requestHash(resolve({}));
    const refined = await requestHash(resolve({ refiner: { model: "sdxl-refiner" } }));
    const explicit = await requestHash(
      resolve({
        refiner: { model: "sdxl-refiner", switch_at: 0.8, switch_by: "timestep" },
        aesthetic_score: 6,
        negative_aesthetic_score: 2.5,
      }),
    );
    const later = await requestHash(resolve({ refiner: { model: "sdxl-refiner", switch_at: 0.9 } }));
    const scored = await requestHash(resolve({ refiner: { model: "sdxl-refiner" }, aesthetic_score: 7 }));
    expect(refined).not.toBe(plain);
    expect(explicit).toBe(refined);
    expect(new Set([refined, later, scored]).size).toBe(3);
  });

  it("gives a refiner used as the model its aesthetic scores", () => {
    const resolved = resolve({ aesthetic_score: 8 }, REFINER);
    expect([resolved.aesthetic_score, resolved.negative_aesthetic_score]).toEqual([8, 2.5]);
  });

  it("refuses what cannot run, naming the field", () => {
    expect(refusedParam({ aesthetic_score: 6 })).toBe("aesthetic_score");
    expect(refusedParam({ negative_aesthetic_score: 2 })).toBe("negative_aesthetic_score");
    expect(refusedParam({ refiner: { model: "sdxl-refiner" }, aesthetic_score: 11 })).toBe("aesthetic_score");
    expect(refusedParam({ refiner: { model: "sdxl-refiner" } }, TINY_MODEL)).toBe("refiner");
    expect(refusedParam({ refiner: { model: "sdxl-refiner" } }, REFINER)).toBe("model");
    expect(refusedParam({ refiner: { model: "sdxl" } }, SDXL, SDXL)).toBe("refiner.model");
    expect(refusedParam({ refiner: { model: "nowhere" } }, SDXL, null)).toBe("refiner.model");
    expect(refusedParam({ refiner: { model: "sdxl-refiner", switch_at: 1 } })).toBe("refiner.switch_at");
    expect(refusedParam({ refiner: { model: "sdxl-refiner", switch_by: "sigma" } })).toBe(
      "refiner.switch_by",
    );
    expect(refusedParam({ refiner: { model: "sdxl-refiner", strength: 1 } })).toBe("refiner.strength");
  });

  it("refuses a refiner with what the engine does not run with one yet", () => {
    const refiner = { model: "sdxl-refiner" };
    expect(refusedParam({ refiner, hires_scale: 1.5 })).toBe("refiner");
    const image = "iVBORw0KGgo=";
    expect(refusedParam({ refiner, image, mask: image })).toBe("refiner");
    expect(resolve({ refiner, image }).refiner?.model).toBe("sdxl-refiner");
    expect(resolve({ refiner, controlnet: [] }).refiner?.model).toBe("sdxl-refiner");
  });
});

describe("refinerSwitchStep, as A1111's apply_refiner", () => {
  it("switches by timestep on SDXL's schedule, and by sampling steps when asked", () => {
    const timesteps = sdxlScheduleTimesteps(30);
    expect(timesteps.slice(0, 2)).toEqual([958, 925]);
    // (999 − t) / 1000 ≥ 0.8 first at t = 199 (step 23); 24 / 30 = 0.8 by steps
    expect(refinerSwitchStep(timesteps, 0.8)).toBe(23);
    expect(refinerSwitchStep(timesteps, 0.8, "steps")).toBe(24);
    expect(refinerSwitchStep(timesteps, 0.9999)).toBe(30);
  });
});
