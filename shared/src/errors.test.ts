import { describe, expect, it } from "vitest";
import { ERROR_CODES, errorEnvelope, errorEnvelopeSchema, SdgateError, statusOf } from "./errors.ts";

describe("error envelope", () => {
  it("maps every code to a 4xx or 5xx status", () => {
    for (const code of ERROR_CODES) {
      expect(statusOf(code)).toBeGreaterThanOrEqual(400);
      expect(statusOf(code)).toBeLessThan(600);
    }
  });

  it("has the documented shape, with OpenAI's error types", () => {
    const envelope = errorEnvelope("invalid_request", "Invalid 'width'.", "req_1", "width");
    expect(errorEnvelopeSchema.parse(envelope)).toEqual({
      error: {
        type: "invalid_request_error",
        code: "invalid_request",
        message: "Invalid 'width'.",
        param: "width",
      },
      request_id: "req_1",
    });
    expect(errorEnvelope("rate_limited", "slow down", "r").error.type).toBe("rate_limit_error");
  });

  it("carries status, param and headers on SdgateError", () => {
    const error = new SdgateError("rate_limited", "Too many requests.", { headers: { "Retry-After": "3" } });
    expect(error.status).toBe(429);
    expect(error.param).toBeNull();
    expect(error.headers["Retry-After"]).toBe("3");
  });
});
