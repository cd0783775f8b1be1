import { describe, expect, it } from "vitest";
import {
  ERROR_CODES,
  type ErrorEnvelope,
  errorAnswer,
  errorEnvelope,
  errorEnvelopeSchema,
  genericMessage,
  MAX_RELAYED_MESSAGE_CHARS,
  relayedError,
  SdgateError,
  statusOf,
} from "./errors.ts";

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
    // A spent monthly budget is no rate limit: waiting seconds will not help.
    expect(statusOf("budget_exceeded")).toBe(402);
    expect(errorEnvelope("budget_exceeded", "spent", "r").error.type).toBe("insufficient_quota");
    // A name taken, a member already there: 409, which OpenAI's SDKs do not retry.
    expect(statusOf("conflict")).toBe(409);
    expect(errorEnvelope("conflict", "taken", "r").error.type).toBe("invalid_request_error");
  });

  it("carries status, param and headers on SdgateError", () => {
    const error = new SdgateError("rate_limited", "Too many requests.", { headers: { "Retry-After": "3" } });
    expect(error.status).toBe(429);
    expect(error.param).toBeNull();
    expect(error.headers["Retry-After"]).toBe("3");
  });
});

describe("what an error tells the client", () => {
  it("passes an SdgateError on whole: it was written for the caller", () => {
    const error = new SdgateError("rate_limited", "Too many requests.", { headers: { "Retry-After": "3" } });
    expect(errorAnswer(error, "req_1")).toEqual({
      status: 429,
      body: errorEnvelope("rate_limited", "Too many requests.", "req_1"),
      headers: { "Retry-After": "3" },
      unexpected: false,
    });
  });

  it("gives a framework's 4xx our code and message for its status, never its own text", () => {
    const error = new Error("Malformed JSON in request body");
    const answer = (frameworkStatus: number) => errorAnswer(error, "req_1", { frameworkStatus });
    expect(answer(413)).toMatchObject({ status: 413, unexpected: false });
    expect(answer(413).body.error).toEqual({
      type: "invalid_request_error",
      code: "payload_too_large",
      message: "The request body is too large.",
      param: null,
    });
    // A status with no code of its own is an invalid request, at the status the contract gives that.
    expect(answer(418)).toMatchObject({ status: 400, body: { error: { code: "invalid_request" } } });
    for (const status of [400, 401, 404, 405, 413, 415, 418, 429])
      expect(JSON.stringify(answer(status))).not.toContain("Malformed");
  });

  it("answers anything else with a 500 that tells nothing, and marks it for the log", () => {
    const error = new TypeError("secret detail at db.ts:12");
    for (const answer of [
      errorAnswer(error, "req_1"),
      errorAnswer(error, "req_1", { frameworkStatus: 503 }),
      errorAnswer("a thrown string", "req_1"),
    ]) {
      expect(answer).toMatchObject({ status: 500, unexpected: true });
      expect(answer.body.error.message).toBe(genericMessage("internal_error"));
      expect(JSON.stringify(answer)).not.toMatch(/secret|db\.ts|string/);
    }
  });

  it("has a generic message for every code", () => {
    for (const code of ERROR_CODES) expect(genericMessage(code)).toMatch(/^[A-Z].*\.$/);
  });
});

describe("a backend's 4xx, relayed by the edge", () => {
  const rejected = (message: string, param: string | null = "prompt"): ErrorEnvelope["error"] => ({
    type: "invalid_request_error",
    code: "invalid_request",
    message,
    param,
  });

  it("keeps the backend's code, param and message, which tell the caller what to fix", () => {
    const message = "Invalid 'steps': at most 150 for model 'tiny'.";
    expect(relayedError(rejected(message, "steps"))).toEqual({
      code: "invalid_request",
      message,
      param: "steps",
    });
    expect(relayedError(rejected("x", "hires.scale")).param).toBe("hires.scale");
  });

  it("removes control and bidirectional-override characters", () => {
    const message = "Invalid\u001b[31m 'prompt':\r\n\tbad\u0000 \u202Egnirts\u202C\u0085 here.";
    expect(relayedError(rejected(message)).message).toBe("Invalid [31m 'prompt': bad gnirts here.");
  });

  it("cuts an over-long message, never inside a character", () => {
    const { message } = relayedError(rejected(`Invalid 'prompt': ${"😀".repeat(1_000)}`));
    expect(Array.from(message)).toHaveLength(MAX_RELAYED_MESSAGE_CHARS);
    expect(message.endsWith("😀…")).toBe(true);
  });

  it("says the code's own message when nothing is left, and drops a param that names no field", () => {
    expect(relayedError(rejected("\u0000\u0007 \n", "Visit example.com now"))).toEqual({
      code: "invalid_request",
      message: genericMessage("invalid_request"),
      param: null,
    });
  });
});
