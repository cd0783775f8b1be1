import { type Model, RESOLUTION_BUCKETS } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import { sizeChoices } from "./sizes.ts";

function model(architecture: Model["architecture"]): Model {
  return {
    id: architecture,
    object: "model",
    created: 0,
    owned_by: "sdgate",
    description: "",
    architecture,
    resolution_buckets: [...RESOLUTION_BUCKETS[architecture]],
    defaults: { width: 1024, height: 1024, steps: 30, guidance_scale: 5, scheduler: "euler" },
    limits: { max_width: 2048, max_height: 2048, max_steps: 150 },
  };
}

describe("the playground's size presets", () => {
  it("offer an SDXL model's trained aspect-ratio buckets first, marked, then the general presets", () => {
    const choices = sizeChoices(model("sdxl"), 1024, 1024);
    const trained = choices.filter((choice) => choice.label.endsWith("(trained)")).map((c) => c.value);
    expect(trained).toEqual([
      "1024x1024",
      "1152x896",
      "896x1152",
      "1216x832",
      "832x1216",
      "1344x768",
      "768x1344",
      "1536x640",
      "640x1536",
    ]);
    expect(choices.slice(0, 9).map((c) => c.value)).toEqual(trained);
    // 1024² is offered once, as a trained size
    expect(choices.filter((c) => c.value === "1024x1024")).toHaveLength(1);
    expect(choices.map((c) => c.value)).toContain("512x512");
  });

  it("mark only 512² for SD 1.5, and keep a size that is none of the presets", () => {
    const choices = sizeChoices(model("sd1"), 640, 640);
    expect(choices.filter((c) => c.label.endsWith("(trained)")).map((c) => c.value)).toEqual(["512x512"]);
    expect(choices.at(-1)).toEqual({ value: "640x640", label: "640 × 640" });
  });
});
