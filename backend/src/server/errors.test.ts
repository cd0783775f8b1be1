import { type ErrorEnvelope, SdgateError } from "@sdgate/shared";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { describe, expect, it } from "vitest";
import type { Logger } from "../logger.ts";
import { errorHandler } from "./errors.ts";
import { setupApp } from "./test-app.ts";

/** The backend's app, with routes that fail in each way a handler can. */
function failingApp() {
  const { app } = setupApp();
  app.get("/test/sdgate", () => {
    throw new SdgateError("invalid_request", "Invalid 'steps': at most 150 for model 'tiny'.", {
      param: "steps",
    });
  });
  app.get("/test/hono-400", () => {
    throw new HTTPException(400, { message: "Malformed JSON in request body (hono's own words)" });
  });
  app.get("/test/hono-413", () => {
    throw new HTTPException(413, { message: "hono's own words" });
  });
  app.get("/test/hono-418", () => {
    throw new HTTPException(418, { message: "hono's own words" });
  });
  app.get("/test/boom", () => {
    throw new TypeError("secret internal detail at engine.ts:12");
  });
  return app;
}

async function envelopeOf(response: Response): Promise<{ text: string; body: ErrorEnvelope }> {
  const text = await response.text();
  return { text, body: JSON.parse(text) as ErrorEnvelope };
}

describe("the backend's error answers", () => {
  it("pass an SdgateError's code, message and param on: they were written for the caller", async () => {
    const response = await failingApp().request("/test/sdgate");
    expect(response.status).toBe(400);
    const { body } = await envelopeOf(response);
    expect(body.error).toEqual({
      type: "invalid_request_error",
      code: "invalid_request",
      message: "Invalid 'steps': at most 150 for model 'tiny'.",
      param: "steps",
    });
  });

  it("answer Hono's own 4xx with our code and message for its status, never Hono's text", async () => {
    const app = failingApp();
    for (const [path, status, code] of [
      ["/test/hono-400", 400, "invalid_request"],
      ["/test/hono-413", 413, "payload_too_large"],
      ["/test/hono-418", 400, "invalid_request"],
    ] as const) {
      const response = await app.request(path);
      expect(response.status).toBe(status);
      const { text, body } = await envelopeOf(response);
      expect(body.error.code).toBe(code);
      expect(text).not.toContain("hono");
    }
  });

  it("answer anything else with a bare 500, and log it with the request id and stack", async () => {
    const logged: Record<string, unknown>[] = [];
    const logger: Logger = { info() {}, warn() {}, error: (_message, fields) => logged.push(fields ?? {}) };
    const app = new Hono<{ Variables: { requestId: string } }>();
    app.use(async (c, next) => {
      c.set("requestId", "req-1");
      await next();
    });
    app.get("/boom", () => {
      throw new TypeError("secret internal detail at engine.ts:12");
    });
    app.onError(errorHandler(logger));

    for (const response of [await app.request("/boom"), await failingApp().request("/test/boom")]) {
      expect(response.status).toBe(500);
      const { text, body } = await envelopeOf(response);
      expect(body.error).toMatchObject({ code: "internal_error", message: "Internal server error." });
      expect(text).not.toContain("secret");
      expect(text).not.toContain("engine.ts");
    }
    expect(logged).toEqual([
      expect.objectContaining({ requestId: "req-1", stack: expect.stringContaining("engine.ts") }),
    ]);
  });
});
