import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { requestId } from "./index.ts";

describe("requestId middleware", () => {
  it("puts a fresh id on the context and in X-Request-Id", async () => {
    const app = new Hono<{ Variables: { requestId: string } }>();
    app.use(requestId());
    app.get("/", (c) => c.text(c.var.requestId));
    const first = await app.request("/");
    const second = await app.request("/");
    const id = await first.text();
    expect(id).toMatch(/^req_[0-9a-f]{24}$/);
    expect(first.headers.get("X-Request-Id")).toBe(id);
    expect(await second.text()).not.toBe(id);
  });

  it("ignores an id the client sends", async () => {
    const app = new Hono<{ Variables: { requestId: string } }>();
    app.use(requestId());
    app.get("/", (c) => c.text(c.var.requestId));
    const res = await app.request("/", { headers: { "X-Request-Id": "client-chosen-id" } });
    expect(res.headers.get("X-Request-Id")).toMatch(/^req_[0-9a-f]{24}$/);
  });

  it("adds the header to responses built without the context", async () => {
    const app = new Hono<{ Variables: { requestId: string } }>();
    app.use(requestId({ generate: () => "req_fixed", headerName: "X-Trace" }));
    app.get("/", () => new Response("raw"));
    const res = await app.request("/");
    expect(res.headers.get("X-Trace")).toBe("req_fixed");
  });

  it("refuses an empty header name when built", () => {
    expect(() => requestId({ headerName: " " })).toThrow(/headerName/);
  });
});
