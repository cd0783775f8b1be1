import { describe, expect, it } from "vitest";
import { costText, engineText, latencyText, modelText, outcomeText, tagsOf, whenText } from "./run-facts.ts";

describe("a run's facts, in words", () => {
  it("says how it ended, with the error's code when it did not succeed", () => {
    expect(outcomeText({ status: "succeeded", error_code: null })).toBe("succeeded");
    expect(outcomeText({ status: "failed", error_code: "backend_unavailable" })).toBe(
      "failed: backend_unavailable",
    );
    expect(outcomeText({ status: "cancelled", error_code: "cancelled" })).toBe("cancelled: cancelled");
  });

  it("names the model's version, cost and latency", () => {
    expect(modelText({ model: "sdxl", model_version: "v3" })).toBe("sdxl v3");
    expect(modelText({ model: "tiny", model_version: null })).toBe("tiny");
    expect(costText(null)).toBe("not charged");
    expect(costText(12)).toBe("12 credits");
    expect(costText(1)).toBe("1 credit");
    expect(latencyText(850)).toBe("850 ms");
    expect(latencyText(2450)).toBe("2.5 s");
  });

  it("names the engine that ran it and its stages' times", () => {
    const timings_ms = { text_encode: 12.4, denoise: 240, decode: 30, total: 290.2 };
    expect(engineText({ engine_version: "sdgate-engine/3", timings_ms })).toBe(
      "sdgate-engine/3, 290 ms (text encode 12 ms, denoise 240 ms, decode 30 ms)",
    );
    expect(engineText({ engine_version: null, timings_ms: null })).toBe("no engine ran it");
  });

  it("says when, relative to now", () => {
    const now = new Date("2026-12-06T10:00:00Z");
    expect(whenText("2026-12-06T09:55:00Z", now)).toBe("5 minutes ago");
    expect(whenText("2026-12-06T09:59:59Z", now)).toBe("just now");
    expect(whenText("2026-12-05T09:00:00Z", now)).toBe("yesterday");
    expect(whenText("not a date", now)).toBe("not a date");
  });

  it("reads tags as typed", () => {
    expect(tagsOf(" keeper, dusk,,keeper ")).toEqual(["keeper", "dusk"]);
    expect(tagsOf("")).toEqual([]);
  });
});
