import { modelInfoSchema } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import { edgeModelCatalog } from "./edge-models.ts";

describe("the edge's model catalog from the stack", () => {
  it("carries a cluster's model architecture, so the edge gives an SDXL model 1024² by default", () => {
    const catalog = edgeModelCatalog(
      [{ model: { id: "xl", architecture: "sdxl" } }, { model: { id: "sd15" } }, { model: { id: "xl" } }],
      { models: { pinned: "0123abcd" } },
    );
    expect(catalog).toEqual([{ id: "xl", architecture: "sdxl" }, { id: "sd15" }, { id: "pinned" }]);
    expect(modelInfoSchema.parse(catalog[0]).defaults).toMatchObject({ width: 1024, height: 1024 });
  });
});
