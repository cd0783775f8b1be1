import { describe, expect, it } from "vitest";
import { pairTexts, readPair } from "./conditioning-pair.ts";

describe("a size-conditioning field's two inputs", () => {
  it("reads a whole size or crop, blank as the default, and anything else as not yet a value", () => {
    expect(readPair("original_size", "2048", "1536")).toEqual({
      kind: "value",
      value: { width: 2048, height: 1536 },
    });
    expect(readPair("negative_crops_coords_top_left", "16", "0")).toEqual({
      kind: "value",
      value: { top: 16, left: 0 },
    });
    expect(readPair("target_size", " ", "")).toEqual({ kind: "blank" });
    expect(readPair("target_size", "1024", "")).toEqual({ kind: "partial" });
    expect(readPair("crops_coords_top_left", "16", "")).toEqual({ kind: "partial" });
    // a crop may be 0, a size may not; both stop at the contract's 8192
    expect(readPair("target_size", "0", "1024")).toEqual({ kind: "partial" });
    expect(readPair("original_size", "9000", "1024")).toEqual({ kind: "partial" });
    expect(readPair("original_size", "10.5", "1024")).toEqual({ kind: "partial" });
  });

  it("shows a value as two texts, and the default as two blanks", () => {
    expect(pairTexts({ width: 2048, height: 1536 })).toEqual(["2048", "1536"]);
    expect(pairTexts({ top: 16, left: 0 })).toEqual(["16", "0"]);
    expect(pairTexts(undefined)).toEqual(["", ""]);
  });
});
