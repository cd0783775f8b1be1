import { describe, expect, it } from "vitest";
import { callOf } from "./operation.ts";

describe("callOf", () => {
  it("takes method, path, credential and retry safety from the contract", () => {
    expect(callOf("rotateKey", { id: "key_a/b", body: { grace_seconds: 60 } })).toEqual({
      method: "POST",
      path: "/admin/keys/key_a%2Fb/rotate",
      credential: "adminToken",
      idempotent: false,
      body: { grace_seconds: 60 },
    });
    expect(callOf("listModels")).toEqual({
      method: "GET",
      path: "/v1/models",
      credential: "apiKey",
      idempotent: true,
    });
  });

  it("asks for its answer's media type, and lets a call say it may be retried", () => {
    expect(callOf("streamJobEvents", { id: "job_1" }).accept).toBe("text/event-stream");
    expect(callOf("createImage", { body: { prompt: "x" } }).idempotent).toBe(false);
    expect(callOf("createImage", { body: { prompt: "x" }, idempotent: true }).idempotent).toBe(true);
  });

  it("calls a signed link as it was handed out, with no credential", () => {
    const link = "https://edge.example/v1/images/abc.png?expires=1&sig=x";
    expect(callOf("getImageFile", { link })).toMatchObject({ path: link, credential: "none" });
  });

  it("refuses an operation whose path needs an id without one", () => {
    expect(() => callOf("getJob", {})).toThrow("getJob needs an id");
    expect(() => callOf("getJob", { id: "" })).toThrow("getJob needs an id");
  });
});
