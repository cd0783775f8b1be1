import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { sha256Hex } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import { configFor } from "../../env.ts";
import { apiKeyRecordKey } from "../../keys/api-key.ts";
import { apiKeyStore } from "../../keys/lookup.ts";
import { call, createKey } from "../../keys/testing.ts";
import type { KeyState } from "../../limits/key-state.ts";

interface ListedKey {
  id: string;
  prefix: string;
  name: string;
  scopes: string[];
  limits: unknown;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  status: string;
}

const models = (key: string) => call("/v1/models", { key });

async function listed(id: string): Promise<ListedKey | undefined> {
  const res = await call("/admin/keys?limit=500", { admin: true });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { data: ListedKey[] };
  return body.data.find((k) => k.id === id);
}

function setClock(id: string, nowMs: number): Promise<void> {
  return runInDurableObject(env.KEY_STATE.getByName(id), (instance: KeyState) => {
    instance.now = () => nowMs;
  });
}

describe("API keys: create → use → list → rotate → revoke", () => {
  it("creates a key whose secret is returned once and works straight away", async () => {
    const created = await createKey({
      name: "ci",
      scopes: ["generate"],
      limits: { requests_per_minute: 60, concurrency: 2, credits: 100_000 },
    });
    expect(created.id).toMatch(/^key_[0-9a-f]{16}$/);
    expect(created.key).toMatch(/^sk_[0-9a-f]{48}$/);
    expect(created.key.startsWith(created.prefix)).toBe(true);
    expect(created).toMatchObject({
      name: "ci",
      scopes: ["generate"],
      limits: { requests_per_minute: 60, concurrency: 2, credits: 100_000 },
    });
    expect(Date.parse(created.created_at)).not.toBeNaN();

    const res = await models(created.key);
    expect(res.status).toBe(200);
  });

  it("fills in default scopes and limits", async () => {
    const created = await createKey({ limits: { concurrency: 3 } });
    expect(created.scopes).toEqual(["generate", "read"]);
    expect(created.limits).toEqual({ requests_per_minute: 600, concurrency: 3, credits: null });
  });

  it("lists keys with prefix, scopes, limits, created and last used, never the secret", async () => {
    const created = await createKey({ name: "listed" });
    const res = await call("/admin/keys?limit=500", { admin: true });
    const text = await res.text();
    expect(text).not.toContain(created.key);
    const before = await listed(created.id);
    expect(before).toMatchObject({
      id: created.id,
      prefix: created.prefix,
      name: "listed",
      scopes: created.scopes,
      limits: created.limits,
      created_at: created.created_at,
      last_used_at: null,
      revoked_at: null,
      status: "active",
    });

    // last_used is kept by the key's Durable Object and flushed to D1 by its alarm, not per request.
    expect((await models(created.key)).status).toBe(200);
    expect((await listed(created.id))?.last_used_at).toBeNull();
    expect(await runDurableObjectAlarm(env.KEY_STATE.getByName(created.id))).toBe(true);
    const lastUsed = (await listed(created.id))?.last_used_at;
    expect(lastUsed).not.toBeNull();
    expect(Date.now() - Date.parse(lastUsed as string)).toBeLessThan(10_000);
  });

  it("pages through keys with next_cursor", async () => {
    await createKey({ name: "page-a" });
    await createKey({ name: "page-b" });
    const first = (await (await call("/admin/keys?limit=1", { admin: true })).json()) as {
      data: ListedKey[];
      next_cursor: string | null;
    };
    expect(first.data).toHaveLength(1);
    expect(first.next_cursor).toEqual(expect.any(String));
    const second = (await (
      await call(`/admin/keys?limit=1&cursor=${first.next_cursor}`, { admin: true })
    ).json()) as { data: ListedKey[] };
    expect(second.data).toHaveLength(1);
    expect(second.data[0]?.id).not.toBe(first.data[0]?.id);
  });

  it("rotates: the new secret works, the old one only until its grace period ends", async () => {
    const created = await createKey({ name: "rotating" });
    const res = await call(`/admin/keys/${created.id}/rotate`, {
      method: "POST",
      admin: true,
      body: JSON.stringify({ grace_seconds: 60 }),
    });
    expect(res.status).toBe(200);
    const rotated = (await res.json()) as ListedKey & {
      key: string;
      previous_key_expires_at: string;
      grace_seconds: number;
    };
    expect(rotated.id).toBe(created.id);
    expect(rotated.key).not.toBe(created.key);
    expect(rotated.prefix).toBe(rotated.key.slice(0, 11));
    expect(rotated.grace_seconds).toBe(60);
    const expiresAtMs = Date.parse(rotated.previous_key_expires_at);
    expect(expiresAtMs - Date.now()).toBeGreaterThan(55_000);

    expect((await models(rotated.key)).status).toBe(200);
    expect((await models(created.key)).status).toBe(200);

    await setClock(created.id, expiresAtMs + 1);
    const old = await models(created.key);
    expect(old.status).toBe(401);
    expect(((await old.json()) as { error: { message: string } }).error.message).toMatch(/grace period/);
    expect((await models(rotated.key)).status).toBe(200);
    expect((await listed(created.id))?.prefix).toBe(rotated.prefix);
  });

  it("gives the old secret 24 hours by default", async () => {
    const created = await createKey();
    const res = await call(`/admin/keys/${created.id}/rotate`, { method: "POST", admin: true });
    const body = (await res.json()) as { grace_seconds: number; previous_key_expires_at: string };
    expect(body.grace_seconds).toBe(86_400);
    expect(Date.parse(body.previous_key_expires_at) - Date.now()).toBeGreaterThan(86_390_000);
  });

  it("revokes: the key fails within a second everywhere, even where KV still has its record", async () => {
    const created = await createKey({ name: "revoked" });
    const hash = await sha256Hex(created.key);
    const cachedRecord = await env.API_KEYS.get(apiKeyRecordKey(hash));
    expect(cachedRecord).not.toBeNull();
    expect((await models(created.key)).status).toBe(200);

    const res = await call(`/admin/keys/${created.id}`, { method: "DELETE", admin: true });
    expect(res.status).toBe(200);
    const revokedAtMs = Date.now();
    expect(await res.json()).toMatchObject({ id: created.id, revoked: true, status: "revoked" });

    // A KV replica elsewhere may still serve the old record for up to a minute: put it back.
    await env.API_KEYS.put(apiKeyRecordKey(hash), cachedRecord as string);
    const after = await models(created.key);
    expect(after.status).toBe(401);
    expect(Date.now() - revokedAtMs).toBeLessThan(1000);
    expect(((await after.json()) as { error: { message: string } }).error.message).toMatch(/revoked/);

    const row = await listed(created.id);
    expect(row).toMatchObject({ status: "revoked", revoked_at: expect.any(String) });
    // Revoking twice is harmless and keeps the first time.
    const again = await call(`/admin/keys/${created.id}`, { method: "DELETE", admin: true });
    expect(((await again.json()) as ListedKey).revoked_at).toBe(row?.revoked_at);
  });

  it("finds a key in D1 when KV has not got it yet, and repairs KV", async () => {
    const created = await createKey({ name: "kv-miss" });
    const hash = await sha256Hex(created.key);
    await env.API_KEYS.delete(apiKeyRecordKey(hash));
    const store = apiKeyStore(configFor(env));
    expect(await store.findByHash(hash)).toMatchObject({ id: created.id, limits: created.limits });
    expect(await env.API_KEYS.get(apiKeyRecordKey(hash))).not.toBeNull();
    expect(await store.findByHash("0".repeat(64))).toBeNull();
  });
});
