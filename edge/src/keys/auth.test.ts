import { sha256Hex } from "@sdgate/shared";
import { Hono } from "hono";
import { describe, expect, it, vi } from "vitest";
import { DEFAULT_KEY_LIMITS } from "../limits/policy.ts";
import { errorHandler } from "../middleware/error-handler/index.ts";
import { requestId } from "../middleware/request-id/index.ts";
import type { ApiKey, ApiKeyRecord, ApiKeyScope } from "./api-key.ts";
import { auth, type FailedAuthGuard } from "./auth.ts";
import { AUTH_FAILURE_WINDOW_MS, MAX_AUTH_FAILURES } from "./auth-failures.ts";
import type { ApiKeyStore } from "./lookup.ts";

type TestEnv = { Variables: { requestId: string; apiKey: ApiKey } };

const KEY = "sk_test_0123456789abcdef0123";
const record: ApiKeyRecord = {
  id: "key_1",
  name: "test",
  scopes: ["generate"],
  created_at: "2026-11-26T00:00:00Z",
};
const live: ApiKey = {
  id: record.id,
  name: record.name,
  scopes: record.scopes,
  created_at: record.created_at,
  limits: DEFAULT_KEY_LIMITS,
};
type Verdict = "ok" | "revoked" | "expired";

/** An in-memory store that remembers which hashes it was asked about. */
function memoryStore(entries: Record<string, ApiKeyRecord>): ApiKeyStore & { lookups: string[] } {
  const lookups: string[] = [];
  return {
    lookups,
    async findByHash(hashHex) {
      lookups.push(hashHex);
      return entries[hashHex] ?? null;
    },
  };
}

/** A guard that keeps its counts in memory, as the `AuthFailures` objects would: distinct keys. */
function memoryGuard(): FailedAuthGuard & { failures: Map<string, number> } {
  const failures = new Map<string, number>();
  const seen = new Set<string>();
  const untilMs = Date.now() + AUTH_FAILURE_WINDOW_MS;
  return {
    failures,
    blockedUntilMs: (bucket) => ((failures.get(bucket) ?? 0) >= MAX_AUTH_FAILURES ? untilMs : null),
    async recordFailure(bucket, keyHashHex) {
      if (!seen.has(`${bucket} ${keyHashHex}`)) failures.set(bucket, (failures.get(bucket) ?? 0) + 1);
      seen.add(`${bucket} ${keyHashHex}`);
      const count = failures.get(bucket) ?? 0;
      return { failures: count, blockedUntilMs: count >= MAX_AUTH_FAILURES ? untilMs : null };
    },
  };
}

/** The app under test; `verdict` stands in for what the key's Durable Object would answer. */
async function appWith(
  scope?: ApiKeyScope,
  verdict: Verdict = "ok",
  options: { scopes?: string[]; guard?: FailedAuthGuard } = {},
) {
  const store = memoryStore({ [await sha256Hex(KEY)]: record });
  const checks: string[] = [];
  const key = { ...live, scopes: options.scopes ?? live.scopes };
  const check = async (_c: unknown, hashHex: string) => {
    checks.push(hashHex);
    return verdict === "ok" ? { ok: true as const, key } : { ok: false as const, reason: verdict };
  };
  const failures = () => options.guard ?? null;
  const app = new Hono<TestEnv>();
  app.use(requestId());
  app.use(
    auth<TestEnv>(
      scope === undefined
        ? { store: () => store, check, failures }
        : { scope, store: () => store, check, failures },
    ),
  );
  app.get("/", (c) => c.json(c.var.apiKey));
  app.onError(errorHandler());
  return { app, store, checks };
}

async function codeOf(res: Response): Promise<string> {
  return ((await res.json()) as { error: { code: string } }).error.code;
}

describe("auth middleware", () => {
  it("lets a known key through and exposes it with its current limits", async () => {
    const { app, store, checks } = await appWith("generate");
    const res = await app.request("/", { headers: { Authorization: `Bearer ${KEY}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(live);
    expect(store.lookups).toEqual([await sha256Hex(KEY)]);
    expect(checks).toEqual([await sha256Hex(KEY)]);
  });

  it.each([
    ["revoked", /revoked/],
    ["expired", /grace period/],
  ] as const)("answers 401 invalid_api_key for a %s key that KV still knows", async (verdict, message) => {
    const { app } = await appWith("generate", verdict);
    const res = await app.request("/", { headers: { Authorization: `Bearer ${KEY}` } });
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("invalid_api_key");
    expect(body.error.message).toMatch(message);
  });

  it("fails closed when no check is given and the app has no config", async () => {
    const store = memoryStore({ [await sha256Hex(KEY)]: record });
    const app = new Hono<TestEnv>();
    app.use(requestId());
    app.use(auth<TestEnv>({ store: () => store }));
    app.get("/", (c) => c.json(c.var.apiKey));
    app.onError(errorHandler());
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    const res = await app.request("/", { headers: { Authorization: `Bearer ${KEY}` } });
    expect(res.status).toBe(500);
    logged.mockRestore();
  });

  it("answers 401 missing_api_key without an Authorization header", async () => {
    const { app } = await appWith();
    const res = await app.request("/");
    expect(res.status).toBe(401);
    expect(res.headers.get("WWW-Authenticate")).toMatch(/^Bearer/);
    expect(await codeOf(res)).toBe("missing_api_key");
  });

  it("answers 401 invalid_api_key for another scheme or a malformed key, without a lookup", async () => {
    const { app, store, checks } = await appWith();
    for (const header of [`Basic ${KEY}`, "Bearer not-a-key", "Bearer sk_short", `Bearer ${KEY} extra`]) {
      const res = await app.request("/", { headers: { Authorization: header } });
      expect(res.status).toBe(401);
      expect(await codeOf(res)).toBe("invalid_api_key");
    }
    expect(store.lookups).toEqual([]);
    expect(checks).toEqual([]);
  });

  it("answers 401 invalid_api_key for an unknown key", async () => {
    const { app } = await appWith();
    const res = await app.request("/", { headers: { Authorization: `Bearer ${KEY}x` } });
    expect(res.status).toBe(401);
    expect(await codeOf(res)).toBe("invalid_api_key");
  });

  it("answers 403 insufficient_scope when the key lacks the scope", async () => {
    const { app } = await appWith("generate", "ok", { scopes: ["read"] });
    const res = await app.request("/", { headers: { Authorization: `Bearer ${KEY}` } });
    expect(res.status).toBe(403);
    expect(res.headers.get("WWW-Authenticate")).toContain('scope="generate"');
    expect(await codeOf(res)).toBe("insufficient_scope");
  });

  it("lets a generate key read, and drops the removed admin scope from the key it exposes", async () => {
    const { app } = await appWith("read", "ok", { scopes: ["admin", "generate"] });
    const res = await app.request("/", { headers: { Authorization: `Bearer ${KEY}` } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as ApiKey).scopes).toEqual(["generate"]);
  });

  it("never echoes the key", async () => {
    const { app } = await appWith("generate", "ok", { scopes: ["read"] });
    for (const key of [KEY, `${KEY}x`]) {
      const res = await app.request("/", { headers: { Authorization: `Bearer ${key}` } });
      expect(await res.text()).not.toContain(key);
    }
  });

  it("refuses an unknown scope when built, admin included", () => {
    expect(() => auth({ scope: "everything" as ApiKeyScope, store: () => memoryStore({}) })).toThrow(/scope/);
    expect(() => auth({ scope: "admin" as ApiKeyScope, store: () => memoryStore({}) })).toThrow(/scope/);
  });
});

describe("auth middleware: failed authentications", () => {
  const from = (ip: string, key = `${KEY}x`) => ({
    headers: { Authorization: `Bearer ${key}`, "CF-Connecting-IP": ip },
  });

  it("counts unknown keys per address and refuses the address past the limit without a lookup", async () => {
    const guard = memoryGuard();
    const { app, store } = await appWith(undefined, "ok", { guard });
    for (let i = 0; i < MAX_AUTH_FAILURES; i++) {
      expect((await app.request("/", from("192.0.2.1", `${KEY}${i}`))).status).toBe(401);
    }
    const lookups = store.lookups.length;
    const refused = await app.request("/", from("192.0.2.1", KEY));
    expect(refused.status).toBe(429);
    expect(refused.headers.get("Retry-After")).toMatch(/^\d+$/);
    expect(await codeOf(refused)).toBe("rate_limited");
    expect(store.lookups).toHaveLength(lookups);
    expect((await app.request("/", from("192.0.2.2", KEY))).status).toBe(200);
  });

  it("counts neither good keys, nor malformed ones, nor requests without an address", async () => {
    const guard = memoryGuard();
    const { app } = await appWith(undefined, "ok", { guard });
    await app.request("/", from("192.0.2.3", KEY));
    await app.request("/", from("192.0.2.3", "not-a-key"));
    await app.request("/", { headers: { Authorization: `Bearer ${KEY}x` } });
    expect([...guard.failures]).toEqual([]);
  });

  it("answers 429 to a failure that another isolate's failures already put over the limit", async () => {
    const guard = memoryGuard();
    guard.failures.set("192.0.2.4", MAX_AUTH_FAILURES);
    const lagging: FailedAuthGuard = { ...guard, blockedUntilMs: () => null };
    const { app } = await appWith(undefined, "ok", { guard: lagging });
    expect((await app.request("/", from("192.0.2.4"))).status).toBe(429);
  });
});
