import { describe, expect, it } from "vitest";
import { call, createKey } from "../../keys/testing.ts";
import type { Envelope } from "../../test-support/harness.ts";

async function postKey(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return call("/admin/keys", {
    method: "POST",
    admin: true,
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

async function envelope(res: Response): Promise<Envelope["error"]> {
  return ((await res.json()) as Envelope).error;
}

describe("POST /admin/keys refuses bad bodies, naming the field", () => {
  it.each([
    [{}, "name"],
    [{ name: "" }, "name"],
    [{ name: 7 }, "name"],
    [{ name: "x".repeat(101) }, "name"],
    [{ name: "ci", scopes: [] }, "scopes"],
    [{ name: "ci", scopes: ["everything"] }, "scopes.0"],
    [{ name: "ci", scopes: "generate" }, "scopes"],
    [{ name: "ci", limits: { requests_per_minute: 0 } }, "limits.requests_per_minute"],
    [{ name: "ci", limits: { requests_per_minute: 1.5 } }, "limits.requests_per_minute"],
    [{ name: "ci", limits: { concurrency: -1 } }, "limits.concurrency"],
    [{ name: "ci", limits: { credits: "lots" } }, "limits.credits"],
    [{ name: "ci", limits: { burst: 5 } }, "limits.burst"],
    [{ name: "ci", owner: "me" }, "owner"],
  ])("%j → 400 naming %s", async (body, param) => {
    const res = await postKey(body);
    expect(res.status).toBe(400);
    const error = await envelope(res);
    expect(error.code).toBe("invalid_request");
    expect(error.param).toBe(param);
    expect(error.message).toContain(param);
  });

  it("answers 400 for JSON that does not parse and 415 for a body that is not JSON", async () => {
    const bad = await postKey("{");
    expect(bad.status).toBe(400);
    expect((await envelope(bad)).message).toMatch(/not valid JSON/);
    const form = await call("/admin/keys", {
      method: "POST",
      admin: true,
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ name: "x" }),
    });
    expect(form.status).toBe(415);
  });

  it("answers 413 for an oversized body", async () => {
    const res = await postKey({ name: "x".repeat(20_000) });
    expect(res.status).toBe(413);
  });
});

describe("key ids and state", () => {
  it("answers 404 naming the id for a key that does not exist", async () => {
    for (const [method, path] of [
      ["DELETE", "/admin/keys/key_doesnotexist"],
      ["POST", "/admin/keys/key_doesnotexist/rotate"],
      ["DELETE", "/admin/keys/not-a-key-id"],
    ] as const) {
      const res = await call(path, { method, admin: true });
      expect(res.status).toBe(404);
      const error = await envelope(res);
      expect(error.code).toBe("not_found");
      expect(error.param).toBe("id");
    }
  });

  it("refuses to rotate a revoked key", async () => {
    const created = await createKey();
    await call(`/admin/keys/${created.id}`, { method: "DELETE", admin: true });
    const res = await call(`/admin/keys/${created.id}/rotate`, { method: "POST", admin: true });
    expect(res.status).toBe(400);
    expect((await envelope(res)).param).toBe("id");
  });

  it.each([
    [{ grace_seconds: -1 }, "grace_seconds"],
    [{ grace_seconds: 31 * 24 * 3600 }, "grace_seconds"],
    [{ grace_seconds: "1h" }, "grace_seconds"],
  ])("refuses a rotation with %j", async (body, param) => {
    const created = await createKey();
    const res = await call(`/admin/keys/${created.id}/rotate`, {
      method: "POST",
      admin: true,
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(400);
    expect((await envelope(res)).param).toBe(param);
  });

  it("refuses a bad list cursor or limit", async () => {
    const cursor = await call("/admin/keys?cursor=nonsense", { admin: true });
    expect(cursor.status).toBe(400);
    expect((await envelope(cursor)).param).toBe("cursor");
    const limit = await call("/admin/keys?limit=0", { admin: true });
    expect(limit.status).toBe(400);
    expect((await envelope(limit)).param).toBe("limit");
  });
});
