import { describe, expect, it } from "vitest";
import { requestHash } from "./canonical.ts";
import { parseGenerationRequest, resolveGenerationRequest } from "./generation-request.ts";
import { modelInfoSchema, TINY_MODEL, withArchitecture } from "./models.ts";
import { sizeConditioningTimeIds } from "./size-conditioning.ts";

function resolve(body: object, model = TINY_MODEL) {
  const parsed = parseGenerationRequest({ prompt: "a fox", ...body });
  if (!parsed.ok) throw new Error(parsed.error.message);
  const resolved = resolveGenerationRequest(parsed.value, model, 7);
  if (!resolved.ok) throw new Error(resolved.error.message);
  return resolved.value;
}

function problemParam(body: object): string | null | undefined {
  const parsed = parseGenerationRequest({ prompt: "a fox", ...body });
  return parsed.ok ? undefined : parsed.error.param;
}

describe("SDXL's size and crop conditioning in the request", () => {
  it("keeps only the fields given, so requests without them keep their hash", async () => {
    const plain = resolve({});
    expect(Object.keys(plain).some((key) => key.includes("_size") || key.startsWith("crops"))).toBe(false);
    const given = resolve({
      original_size: { width: 2048, height: 1536 },
      negative_crops_coords_top_left: { top: 0, left: 64 },
    });
    expect(given.original_size).toEqual({ width: 2048, height: 1536 });
    expect(given.negative_crops_coords_top_left).toEqual({ top: 0, left: 64 });
    expect("target_size" in given).toBe(false);
    expect(await requestHash(given)).not.toBe(await requestHash(plain));
  });

  it("refuses sizes that are not positive whole pixels, or unknown keys, naming the field", () => {
    expect(problemParam({ original_size: { width: 0, height: 512 } })).toBe("original_size.width");
    expect(problemParam({ target_size: { width: 512, height: 1.5 } })).toBe("target_size.height");
    expect(problemParam({ target_size: { width: 512, height: 99_999 } })).toBe("target_size.height");
    expect(problemParam({ crops_coords_top_left: { top: -1, left: 0 } })).toBe("crops_coords_top_left.top");
    expect(problemParam({ negative_original_size: { w: 1, h: 1 } })).toMatch(/^negative_original_size/);
    expect(problemParam({ crops_coords_top_left: [0, 0] })).toBe("crops_coords_top_left");
  });

  it("lays time_ids out as diffusers' _get_add_time_ids: original (h, w), crop (top, left), target (h, w)", () => {
    // diffusers' defaults: original = target = the image's size, no crop; the unconditional row the same
    expect(sizeConditioningTimeIds({}, 1216, 832)).toEqual({
      positive: [832, 1216, 0, 0, 832, 1216],
      negative: [832, 1216, 0, 0, 832, 1216],
    });
    const ids = sizeConditioningTimeIds(
      {
        original_size: { width: 4096, height: 2048 },
        crops_coords_top_left: { top: 16, left: 32 },
        negative_original_size: { width: 512, height: 512 },
      },
      1024,
      1024,
    );
    expect(ids.positive).toEqual([2048, 4096, 16, 32, 1024, 1024]);
    // once a negative field is given, the others default as the positive ones do
    expect(ids.negative).toEqual([512, 512, 0, 0, 1024, 1024]);
  });
});

describe("a model's native size", () => {
  it("is the default size of a configured model, by its architecture, unless the operator sets one", () => {
    const xl = modelInfoSchema.parse({ id: "xl", architecture: "sdxl" });
    expect([xl.defaults.width, xl.defaults.height]).toEqual([1024, 1024]);
    expect(resolve({}, xl)).toMatchObject({ width: 1024, height: 1024 });
    expect(modelInfoSchema.parse({ id: "sd15" })).toMatchObject({
      architecture: "sd1",
      defaults: { width: 512, height: 512 },
    });
    const wide = modelInfoSchema.parse({
      id: "xl",
      architecture: "sdxl",
      defaults: { width: 1216, height: 832 },
    });
    expect([wide.defaults.width, wide.defaults.height]).toEqual([1216, 832]);
  });

  it("follows the architecture backends report when the entry names none, keeping a size the entry sets", () => {
    const undeclared = modelInfoSchema.parse({ id: "xl", defaults: { width: 1216 } });
    expect(undeclared).toMatchObject({ architecture: "sd1", defaults: { width: 1216, height: 512 } });
    expect(withArchitecture(undeclared, "sdxl")).toMatchObject({
      architecture: "sdxl",
      defaults: { width: 1216, height: 1024 },
    });
    const declared = modelInfoSchema.parse({ id: "sd15", architecture: "sd1" });
    expect(withArchitecture(declared, "sdxl")).toBe(declared);
  });
});
