import { SdgateError } from "@sdgate/shared";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { methodNotAllowed } from "hono/method-not-allowed";
import { describe, expect, it, vi } from "vitest";
import { requestId } from "../request-id/index.ts";
import { errorHandler, loggedPath, methodNotAllowedHandler, notFoundHandler } from "./index.ts";

type TestEnv = { Variables: { requestId: string } };

function testApp() {
  const app = new Hono<TestEnv>();
  app.use(requestId({ generate: () => "req_test" }));
  app.use(methodNotAllowed({ app, onMethodNotAllowed: methodNotAllowedHandler() }));
  app.get("/sdgate", () => {
    throw new SdgateError("invalid_request", "Invalid 'width'.", {
      param: "width",
      headers: { "X-Extra": "1" },
    });
  });
  app.get("/v1/shared/:token", () => {
    throw new TypeError("a share's view failed");
  });
  app.get("/boom", () => {
    throw new TypeError("secret internal detail at db.ts:12");
  });
  app.get("/http/:status", (c) => {
    throw new HTTPException(Number(c.req.param("status")) as 400, { message: "hono's own words" });
  });
  app.notFound(notFoundHandler());
  app.onError(errorHandler());
  return app;
}

describe("error handler", () => {
  it("turns an SdgateError into the envelope with its status, param and headers", async () => {
    const res = await testApp().request("/sdgate");
    expect(res.status).toBe(400);
    expect(res.headers.get("X-Extra")).toBe("1");
    expect(res.headers.get("X-Request-Id")).toBe("req_test");
    expect(await res.json()).toEqual({
      error: {
        type: "invalid_request_error",
        code: "invalid_request",
        message: "Invalid 'width'.",
        param: "width",
      },
      request_id: "req_test",
    });
  });

  it("answers 500 with a fixed message for unexpected errors and logs them with the request id", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    const res = await testApp().request("/boom");
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({
      error: { type: "api_error", code: "internal_error", message: "Internal server error.", param: null },
      request_id: "req_test",
    });
    expect(text).not.toContain("secret");
    expect(logged).toHaveBeenCalledOnce();
    expect(String(logged.mock.calls[0]?.[0])).toContain('"request_id":"req_test"');
    logged.mockRestore();
  });

  it("never logs a share link's token, which opens what it shares", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    const token = "shr1.0123456789abcdef0123456789abcdef.feed";
    expect((await testApp().request(`/v1/shared/${token}`)).status).toBe(500);
    const line = String(logged.mock.calls[0]?.[0]);
    expect(line).toContain('"path":"/v1/shared/(token)"');
    expect(line).not.toContain(token);
    expect(loggedPath("/v1/runs/req_1")).toBe("/v1/runs/req_1");
    logged.mockRestore();
  });

  it("maps Hono's 4xx HTTPExceptions by status to our code and message, never Hono's text", async () => {
    const app = testApp();
    for (const [status, expected, code] of [
      [413, 413, "payload_too_large"],
      [400, 400, "invalid_request"],
      [401, 401, "invalid_api_key"],
      // No code of its own: an invalid request, at the status the contract gives that.
      [418, 400, "invalid_request"],
    ] as const) {
      const res = await app.request(`/http/${status}`);
      expect(res.status).toBe(expected);
      const text = await res.text();
      expect((JSON.parse(text) as { error: { code: string } }).error.code).toBe(code);
      expect(text).not.toContain("hono");
    }
  });

  it("answers a 5xx HTTPException as any unexpected error: a fixed 500, logged", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    const res = await testApp().request("/http/503");
    expect(res.status).toBe(500);
    const text = await res.text();
    expect((JSON.parse(text) as { error: { code: string } }).error.code).toBe("internal_error");
    expect(text).not.toContain("hono");
    expect(logged).toHaveBeenCalledOnce();
    logged.mockRestore();
  });

  it("answers unknown routes with a 404 envelope", async () => {
    const res = await testApp().request("/nowhere");
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("not_found");
  });

  it("answers a known path with a wrong method with 405 and Allow", async () => {
    const res = await testApp().request("/sdgate", { method: "DELETE" });
    expect(res.status).toBe(405);
    expect(res.headers.get("Allow")).toBe("GET, HEAD");
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("method_not_allowed");
  });
});
