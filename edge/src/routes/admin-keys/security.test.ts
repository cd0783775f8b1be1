import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import app from "../../index.ts";
import { tokensMatch } from "../../keys/admin-auth.ts";
import { ADMIN_TOKEN, call, createKey } from "../../keys/testing.ts";
import type { Envelope } from "../../test-support/harness.ts";

const ADMIN_ROUTES = [
  ["POST", "/admin/keys"],
  ["GET", "/admin/keys"],
  ["DELETE", "/admin/keys/key_0123456789abcdef"],
  ["POST", "/admin/keys/key_0123456789abcdef/rotate"],
  ["GET", "/admin/audit"],
  ["GET", "/admin/audit/verify"],
] as const;

async function codeOf(res: Response): Promise<string> {
  return ((await res.json()) as Envelope).error.code;
}

describe("the admin API's token", () => {
  it.each(ADMIN_ROUTES)("%s %s needs it: 401 missing_api_key without one", async (method, path) => {
    const res = await call(path, { method });
    expect(res.status).toBe(401);
    expect(res.headers.get("WWW-Authenticate")).toMatch(/^Bearer/);
    expect(await codeOf(res)).toBe("missing_api_key");
  });

  it.each(ADMIN_ROUTES)("%s %s refuses a wrong one: 401 invalid_api_key", async (method, path) => {
    for (const header of [
      `Bearer ${ADMIN_TOKEN}x`,
      `Bearer ${ADMIN_TOKEN.slice(0, -1)}`,
      `Basic ${ADMIN_TOKEN}`,
      "Bearer",
    ]) {
      const res = await call(path, { method, headers: { Authorization: header } });
      expect(res.status).toBe(401);
      expect(await codeOf(res)).toBe("invalid_api_key");
    }
  });

  it("is not an API key: admin is no scope a key can be given", async () => {
    for (const [method, path] of [
      ["POST", "/admin/keys"],
      ["PATCH", "/admin/keys/key_0123456789abcdef"],
    ] as const) {
      const res = await call(path, {
        method,
        admin: true,
        body: JSON.stringify({ name: "x", scopes: ["generate", "admin"] }),
      });
      expect(res.status).toBe(400);
      const { error } = (await res.json()) as Envelope;
      expect(error).toMatchObject({ code: "invalid_request", param: "scopes.1" });
      expect(error.message).toMatch(/SDGATE_ADMIN_TOKEN/);
    }
  });

  it("reads a key that still carries the old admin scope without it, and never takes it as an admin token", async () => {
    const created = await createKey({ scopes: ["generate", "read"] });
    await env.DB.prepare("UPDATE api_keys SET scopes = ? WHERE id = ?")
      .bind(JSON.stringify(["admin", "generate"]), created.id)
      .run();
    const res = await call(`/admin/keys/${created.id}`, { admin: true });
    expect(((await res.json()) as { scopes: string[] }).scopes).toEqual(["generate"]);
    expect((await call("/admin/keys", { key: created.key })).status).toBe(401);
  });

  it("closes the admin API when SDGATE_ADMIN_TOKEN is not set", async () => {
    const { SDGATE_ADMIN_TOKEN: _unset, ...withoutToken } = env;
    const res = await app.request(
      "/admin/keys",
      { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } },
      withoutToken,
    );
    expect(res.status).toBe(401);
    expect(((await res.json()) as Envelope).error.message).toMatch(/SDGATE_ADMIN_TOKEN is not set/);
  });

  it("never echoes what was presented", async () => {
    const res = await call("/admin/keys", { headers: { Authorization: "Bearer guess-0123456789" } });
    expect(await res.text()).not.toContain("guess-0123456789");
  });

  it("is compared by digest in constant time, whatever the lengths", async () => {
    expect(await tokensMatch(ADMIN_TOKEN, ADMIN_TOKEN)).toBe(true);
    expect(await tokensMatch(`${ADMIN_TOKEN}x`, ADMIN_TOKEN)).toBe(false);
    expect(await tokensMatch("", ADMIN_TOKEN)).toBe(false);
    expect(await tokensMatch("x".repeat(10_000), ADMIN_TOKEN)).toBe(false);
  });
});

describe("secrets", () => {
  it("are shown once: the create response is not cacheable and nothing else ever returns them", async () => {
    const res = await call("/admin/keys", {
      method: "POST",
      admin: true,
      body: JSON.stringify({ name: "once" }),
    });
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    const { id, key } = (await res.json()) as { id: string; key: string };
    for (const path of ["/admin/keys?limit=500", `/admin/audit?key_id=${id}`]) {
      expect(await (await call(path, { admin: true })).text()).not.toContain(key);
    }
    const stored = await env.DB.prepare("SELECT * FROM api_key_secrets WHERE key_id = ?").bind(id).all();
    expect(JSON.stringify(stored.results)).not.toContain(key);
  });

  it("of a key that is not in the store are refused without a lookup in its Durable Object", async () => {
    const forged = `sk_${"f".repeat(48)}`;
    const res = await call("/v1/models", { key: forged });
    expect(res.status).toBe(401);
    expect(await codeOf(res)).toBe("invalid_api_key");
  });
});
