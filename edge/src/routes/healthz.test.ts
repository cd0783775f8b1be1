import { describe, expect, it } from "vitest";
import app from "../index.ts";
import { edgeEnv } from "../test-support/harness.ts";

describe("GET /healthz", () => {
  it("answers ok without an API key", async () => {
    const res = await app.request("/healthz", {}, edgeEnv());
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
    expect(res.headers.get("X-Request-Id")).toMatch(/^req_[0-9a-f]{24}$/);
  });

  it("answers 405 with Allow for other methods", async () => {
    const res = await app.request("/healthz", { method: "POST" }, edgeEnv());
    expect(res.status).toBe(405);
    expect(res.headers.get("Allow")).toBe("GET, HEAD");
    const body = (await res.json()) as { error: { code: string } };
    expect(body.error.code).toBe("method_not_allowed");
  });
});
