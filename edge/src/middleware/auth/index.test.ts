import { sha256Hex } from "@sdgate/shared";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { ApiKeyRecord, ApiKeyScope, ApiKeyStore } from "../../api-keys.ts";
import { errorHandler } from "../error-handler/index.ts";
import { requestId } from "../request-id/index.ts";
import { auth } from "./index.ts";

type TestEnv = { Variables: { requestId: string; apiKey: ApiKeyRecord } };

const KEY = "sk_test_0123456789abcdef0123";
const record: ApiKeyRecord = {
  id: "key_1",
  name: "test",
  scopes: ["generate"],
  created_at: "2026-11-26T00:00:00Z",
};

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

async function appWith(scope?: ApiKeyScope) {
  const store = memoryStore({ [await sha256Hex(KEY)]: record });
  const app = new Hono<TestEnv>();
  app.use(requestId());
  app.use(auth<TestEnv>(scope === undefined ? { store: () => store } : { scope, store: () => store }));
  app.get("/", (c) => c.json(c.var.apiKey));
  app.onError(errorHandler());
  return { app, store };
}

async function codeOf(res: Response): Promise<string> {
  return ((await res.json()) as { error: { code: string } }).error.code;
}

describe("auth middleware", () => {
  it("lets a known key through and exposes its record", async () => {
    const { app, store } = await appWith("generate");
    const res = await app.request("/", { headers: { Authorization: `Bearer ${KEY}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(record);
    expect(store.lookups).toEqual([await sha256Hex(KEY)]);
  });

  it("answers 401 missing_api_key without an Authorization header", async () => {
    const { app } = await appWith();
    const res = await app.request("/");
    expect(res.status).toBe(401);
    expect(res.headers.get("WWW-Authenticate")).toMatch(/^Bearer/);
    expect(await codeOf(res)).toBe("missing_api_key");
  });

  it("answers 401 invalid_api_key for another scheme or a malformed key, without a lookup", async () => {
    const { app, store } = await appWith();
    for (const header of [`Basic ${KEY}`, "Bearer not-a-key", "Bearer sk_short", `Bearer ${KEY} extra`]) {
      const res = await app.request("/", { headers: { Authorization: header } });
      expect(res.status).toBe(401);
      expect(await codeOf(res)).toBe("invalid_api_key");
    }
    expect(store.lookups).toEqual([]);
  });

  it("answers 401 invalid_api_key for an unknown key", async () => {
    const { app } = await appWith();
    const res = await app.request("/", { headers: { Authorization: `Bearer ${KEY}x` } });
    expect(res.status).toBe(401);
    expect(await codeOf(res)).toBe("invalid_api_key");
  });

  it("answers 403 insufficient_scope when the key lacks the scope", async () => {
    const { app } = await appWith("admin");
    const res = await app.request("/", { headers: { Authorization: `Bearer ${KEY}` } });
    expect(res.status).toBe(403);
    expect(res.headers.get("WWW-Authenticate")).toContain('scope="admin"');
    expect(await codeOf(res)).toBe("insufficient_scope");
  });

  it("never echoes the key", async () => {
    const { app } = await appWith("admin");
    for (const key of [KEY, `${KEY}x`]) {
      const res = await app.request("/", { headers: { Authorization: `Bearer ${key}` } });
      expect(await res.text()).not.toContain(key);
    }
  });

  it("refuses an unknown scope when built", () => {
    expect(() => auth({ scope: "everything" as ApiKeyScope, store: () => memoryStore({}) })).toThrow(/scope/);
  });
});
