import { describe, expect, it } from "vitest";
import { ABSENT, requestDiff } from "./request-diff.ts";

describe("the parameter diff", () => {
  it("lines the runs' requests up field by field, the usual fields first, and marks what differs", () => {
    const rows = requestDiff([
      {
        seed: 1,
        prompt: "a fox",
        steps: 20,
        model_version: { version: "v1", digest: "sha256:aa" },
        zeta: [1],
      },
      {
        seed: 2,
        prompt: "a fox",
        steps: 20,
        model_version: { version: "v1", digest: "sha256:bb" },
        zeta: [1],
      },
    ]);
    expect(rows.map((row) => row.field)).toEqual([
      "prompt",
      "model_version.version",
      "model_version.digest",
      "seed",
      "steps",
      "zeta",
    ]);
    expect(rows.filter((row) => row.differs).map((row) => row.field)).toEqual([
      "model_version.digest",
      "seed",
    ]);
    expect(rows.find((row) => row.field === "seed")?.values).toEqual(["1", "2"]);
    expect(rows.find((row) => row.field === "zeta")?.values).toEqual(["[1]", "[1]"]);
  });

  it("says a field one run lacks is absent, and null is none", () => {
    const rows = requestDiff([
      { hires: { scale: 1.5 }, image: null },
      { image: null },
      { image: "(input image)" },
    ]);
    expect(rows).toEqual([
      { field: "hires.scale", values: ["1.5", ABSENT, ABSENT], differs: true },
      { field: "image", values: ["none", "none", "(input image)"], differs: true },
    ]);
  });

  it("finds nothing different in one request compared with itself", () => {
    const request = { seed: 5, prompt: "x" };
    expect(requestDiff([request, request]).some((row) => row.differs)).toBe(false);
  });
});
