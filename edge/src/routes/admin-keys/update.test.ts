import { describe, expect, it } from "vitest";
import type { Env } from "../../env.ts";
import { call } from "../../keys/testing.ts";
import { fleetEnv, post } from "../../test-support/fleet.ts";
import { uniquePrompt } from "../../test-support/harness.ts";

/** The test fleet, serving `sd15` beside the built-in `tiny`. */
function twoModelEnv(): Env {
  return { ...fleetEnv(["healthy"]), SDGATE_MODELS: JSON.stringify([{ id: "sd15" }]) };
}

async function created(testEnv: Env, body: Record<string, unknown> = {}) {
  const res = await call(
    "/admin/keys",
    { method: "POST", admin: true, body: JSON.stringify({ name: "k", ...body }) },
    testEnv,
  );
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; key: string };
}

function patch(testEnv: Env, id: string, body: unknown) {
  return call(`/admin/keys/${id}`, { method: "PATCH", admin: true, body: JSON.stringify(body) }, testEnv);
}

describe("PATCH /admin/keys/{id}", () => {
  it("changes limits in place, the same secret keeps working, and the next request sees them", async () => {
    const testEnv = twoModelEnv();
    const key = await created(testEnv, { limits: { requests_per_minute: 60 } });
    const first = await call("/v1/models", { key: key.key }, testEnv);
    expect(first.headers.get("RateLimit-Policy")).toContain("60");

    const res = await patch(testEnv, key.id, { name: "renamed", limits: { requests_per_minute: 7 } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      id: key.id,
      name: "renamed",
      limits: { requests_per_minute: 7, concurrency: 16 },
      status: "active",
    });
    const next = await call("/v1/models", { key: key.key }, testEnv);
    expect(next.status).toBe(200);
    expect(next.headers.get("RateLimit-Policy")).toMatch(/\b7\b/);
  });

  it("narrows a key's models at once, however recently the key was used, and null opens them again", async () => {
    const testEnv = twoModelEnv();
    const key = await created(testEnv);
    const body = { prompt: uniquePrompt(), model: "sd15", seed: 5 };
    expect((await post(body, key.key, testEnv)).status).toBe(200);

    expect((await patch(testEnv, key.id, { models: ["tiny"] })).status).toBe(200);
    // The same body again: its preparation is remembered and its image cached, and still it is refused.
    const refused = await post(body, key.key, testEnv);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: { code: "model_not_allowed", param: "model" } });

    const reopened = await patch(testEnv, key.id, { models: null });
    expect(await reopened.json()).toMatchObject({ models: null });
    expect((await post(body, key.key, testEnv)).headers.get("X-Cache")).toBe("HIT");
  });

  it("grants a scope at once, though this isolate holds the key's record without it", async () => {
    const testEnv = twoModelEnv();
    const key = await created(testEnv, { scopes: ["read"] });
    const refused = await post({ prompt: uniquePrompt() }, key.key, testEnv);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: { code: "insufficient_scope" } });
    expect((await patch(testEnv, key.id, { scopes: ["generate", "read"] })).status).toBe(200);
    expect((await post({ prompt: uniquePrompt() }, key.key, testEnv)).status).toBe(200);
  });

  it("widens a key's models at once too, for a request this isolate has never seen", async () => {
    const testEnv = twoModelEnv();
    const key = await created(testEnv, { models: ["sd15"] });
    // The key's record is now in this isolate's copy, with models ["sd15"].
    expect((await post({ prompt: uniquePrompt(), model: "tiny" }, key.key, testEnv)).status).toBe(403);
    expect((await patch(testEnv, key.id, { models: null })).status).toBe(200);
    expect((await post({ prompt: uniquePrompt(), model: "tiny" }, key.key, testEnv)).status).toBe(200);
  });

  it("sets and clears an expiry, and takes scopes away at once", async () => {
    const testEnv = twoModelEnv();
    const key = await created(testEnv);
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    expect(await (await patch(testEnv, key.id, { expires_at: expiresAt })).json()).toMatchObject({
      expires_at: expiresAt,
    });
    expect(await (await patch(testEnv, key.id, { expires_at: null })).json()).toMatchObject({
      expires_at: null,
    });
    expect((await patch(testEnv, key.id, { scopes: ["read"] })).status).toBe(200);
    const res = await post({ prompt: uniquePrompt() }, key.key, testEnv);
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: { code: "insufficient_scope" } });
  });

  it("replaces a key's labels as a whole, and null removes them", async () => {
    const testEnv = twoModelEnv();
    const key = await created(testEnv, { metadata: { team: "search", cost_center: "cc-1" } });
    expect(await (await patch(testEnv, key.id, { metadata: { team: "ads" } })).json()).toMatchObject({
      metadata: { team: "ads" },
    });
    expect(await (await patch(testEnv, key.id, { metadata: null })).json()).toMatchObject({ metadata: {} });
    for (const metadata of [
      { "team name": "x" },
      { team: 5 },
      Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`l${i}`, "v"])),
    ]) {
      const res = await patch(testEnv, key.id, { metadata });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { param: expect.stringMatching(/^metadata/) } });
    }
  });

  it("refuses an empty change, unknown fields and models, a revoked key and an unknown one", async () => {
    const testEnv = twoModelEnv();
    const key = await created(testEnv);
    for (const [body, param] of [
      [{}, null],
      [{ owner: "x" }, "owner"],
      [{ models: ["dall-e-3"] }, "models"],
      [{ limits: { concurrency: 0 } }, "limits.concurrency"],
      [{ expires_at: "yesterday" }, "expires_at"],
    ] as const) {
      const res = await patch(testEnv, key.id, body);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: "invalid_request", param } });
    }
    expect((await call(`/admin/keys/${key.id}`, { method: "DELETE", admin: true }, testEnv)).status).toBe(
      200,
    );
    expect((await patch(testEnv, key.id, { name: "x" })).status).toBe(400);
    expect((await patch(testEnv, "key_0000000000000000", { name: "x" })).status).toBe(404);
    expect((await call(`/admin/keys/${key.id}`, { method: "PATCH", body: "{}" }, testEnv)).status).toBe(401);
  });
});

describe("GET /admin/keys/{id}", () => {
  it("shows one key with what is left of its limits now", async () => {
    const testEnv = twoModelEnv();
    const key = await created(testEnv, {
      limits: { requests_per_minute: 60, concurrency: 2, credits: 100_000 },
    });
    const get = async () => {
      const res = await call(`/admin/keys/${key.id}`, { admin: true }, testEnv);
      expect(res.status).toBe(200);
      return (await res.json()) as { id: string; remaining: { requests: number; credits: number } | null };
    };
    expect(await get()).toMatchObject({
      id: key.id,
      status: "active",
      remaining: { requests: 60, concurrency: 2, in_flight: 0, credits: 100_000 },
    });
    expect((await post({ prompt: uniquePrompt(), seed: 3 }, key.key, testEnv)).status).toBe(200);
    // The settle that charges the generation runs after the response.
    await expect.poll(async () => (await get()).remaining?.credits).toBeLessThan(100_000);
    expect((await get()).remaining?.requests).toBe(59);

    expect((await call(`/admin/keys/${key.id}`, { method: "DELETE", admin: true }, testEnv)).status).toBe(
      200,
    );
    expect(await get()).toMatchObject({ status: "revoked", remaining: null });
    expect((await call("/admin/keys/key_0000000000000000", { admin: true }, testEnv)).status).toBe(404);
  });
});
