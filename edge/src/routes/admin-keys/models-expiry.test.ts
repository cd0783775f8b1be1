import { env } from "cloudflare:workers";
import { sha256Hex } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import type { Env } from "../../env.ts";
import { apiKeyRecordKey } from "../../keys/api-key.ts";
import { call } from "../../keys/testing.ts";
import { fleetEnv, post } from "../../test-support/fleet.ts";
import { callsTo, uniquePrompt } from "../../test-support/harness.ts";

/** The test fleet, serving `sd15` beside the built-in `tiny`. */
function twoModelEnv(): Env {
  return { ...fleetEnv(["healthy"]), SDGATE_MODELS: JSON.stringify([{ id: "sd15" }]) };
}

function create(testEnv: Env, body: Record<string, unknown>) {
  return call(
    "/admin/keys",
    {
      method: "POST",
      admin: true,
      body: JSON.stringify({ name: "limited", ...body }),
    },
    testEnv,
  );
}

async function created(testEnv: Env, body: Record<string, unknown>) {
  const res = await create(testEnv, body);
  expect(res.status).toBe(201);
  return (await res.json()) as {
    id: string;
    key: string;
    models: string[] | null;
    expires_at: string | null;
  };
}

async function listed(testEnv: Env, id: string) {
  const res = await call("/admin/keys?limit=500", { admin: true }, testEnv);
  const body = (await res.json()) as {
    data: Array<{ id: string; models: unknown; expires_at: unknown; status: string }>;
  };
  return body.data.find((key) => key.id === id);
}

describe("API keys limited to some models", () => {
  it("generates with a listed model and refuses another with 403 model_not_allowed, before any backend", async () => {
    const testEnv = twoModelEnv();
    const key = await created(testEnv, { models: ["sd15"] });
    expect(key.models).toEqual(["sd15"]);
    expect(await listed(testEnv, key.id)).toMatchObject({ models: ["sd15"], status: "active" });

    const allowed = await post({ prompt: uniquePrompt(), model: "sd15", seed: 1 }, key.key, testEnv);
    expect(allowed.status).toBe(200);

    const refusedPrompt = uniquePrompt();
    const refused = await post({ prompt: refusedPrompt, model: "tiny", seed: 1 }, key.key, testEnv);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({
      error: { code: "model_not_allowed", type: "permission_error", param: "model" },
    });
    expect(await callsTo("healthy", refusedPrompt)).toHaveLength(0);
    // The default model is `tiny`: a request without `model` is refused the same way.
    expect((await post({ prompt: uniquePrompt() }, key.key, testEnv)).status).toBe(403);

    const estimate = await call(
      "/v1/estimate",
      { method: "POST", key: key.key, body: JSON.stringify({ prompt: "x", model: "tiny" }) },
      testEnv,
    );
    expect(estimate.status).toBe(403);
    expect(await estimate.json()).toMatchObject({ error: { code: "model_not_allowed", param: "model" } });
  });

  it("lists only the key's models in GET /v1/models; a key without a list sees every model", async () => {
    const testEnv = twoModelEnv();
    const ids = async (key: string) => {
      const res = await call("/v1/models", { key }, testEnv);
      expect(res.status).toBe(200);
      return ((await res.json()) as { data: Array<{ id: string }> }).data.map((model) => model.id);
    };
    expect(await ids((await created(testEnv, { models: ["sd15"] })).key)).toEqual(["sd15"]);
    expect(await ids((await created(testEnv, {})).key)).toEqual(["tiny", "sd15"]);
  });

  it("refuses a list naming a model the server does not serve, or naming none, with 400 on models", async () => {
    const testEnv = twoModelEnv();
    for (const models of [["sd15", "dall-e-3"], [], "sd15", [42]]) {
      const res = await create(testEnv, { models });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({
        error: { code: "invalid_request", param: expect.stringMatching(/^models/) },
      });
    }
    const unknown = await create(testEnv, { models: ["dall-e-3"] });
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toContain("tiny, sd15");
  });
});

describe("API keys that expire", () => {
  it("works until expires_at, then fails with 401 everywhere and is listed as expired", async () => {
    const expiresAt = new Date(Date.now() + 1500).toISOString();
    const key = await created(env, { expires_at: expiresAt });
    expect(key.expires_at).toBe(expiresAt);
    expect((await call("/v1/models", { key: key.key })).status).toBe(200);
    const record = await env.API_KEYS.get(apiKeyRecordKey(await sha256Hex(key.key)), "json");
    expect(record).toMatchObject({ id: key.id, expires_at: expiresAt });

    await new Promise((resolve) => setTimeout(resolve, Date.parse(expiresAt) - Date.now() + 50));
    const res = await call("/v1/models", { key: key.key });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({
      error: { code: "invalid_api_key", message: "This API key has expired." },
    });
    expect(await listed(env, key.id)).toMatchObject({ expires_at: expiresAt, status: "expired" });
  });

  it("keeps its expiry through a rotation: neither the new secret nor the grace outlives the key", async () => {
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const key = await created(env, { expires_at: expiresAt });
    const rotated = await call(`/admin/keys/${key.id}/rotate`, {
      method: "POST",
      admin: true,
      body: JSON.stringify({ grace_seconds: 7200 }),
    });
    expect(rotated.status).toBe(200);
    const { key: secret } = (await rotated.json()) as { key: string };
    for (const s of [secret, key.key]) {
      const record = await env.API_KEYS.get(apiKeyRecordKey(await sha256Hex(s)), "json");
      expect(record).toMatchObject({ expires_at: expiresAt });
    }
  });

  it("refuses an expiry in the past, too far away or not a date, with 400 on expires_at", async () => {
    for (const expires_at of [
      new Date(Date.now() - 1000).toISOString(),
      new Date(Date.now() + 11 * 365 * 86_400_000).toISOString(),
      "tomorrow",
      1_800_000_000,
    ]) {
      const res = await create(env, { expires_at });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { param: "expires_at" } });
    }
  });
});
