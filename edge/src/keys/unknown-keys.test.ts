import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { randomHex, toHex } from "@sdgate/shared";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Env } from "../env.ts";
import app from "../index.ts";
import { seedApiKey } from "../test-support/harness.ts";
import {
  AUTH_FAILURE_WINDOW_MS,
  type AuthFailures,
  addressBucket,
  MAX_AUTH_FAILURES,
} from "./auth-failures.ts";
import { MISS_CACHE_TTL_MS } from "./lookup.ts";
import { call } from "./testing.ts";

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** The test worker's env with its D1 binding wrapped, counting the key lookups that reach D1. */
function countingEnv(): { testEnv: Env; d1KeyLookups: () => number } {
  const statements: string[] = [];
  const db = new Proxy(env.DB, {
    get(target, property) {
      if (property === "prepare") {
        return (sql: string) => {
          statements.push(sql);
          return target.prepare(sql);
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return {
    testEnv: { ...env, DB: db },
    d1KeyLookups: () => statements.filter((sql) => sql.includes("FROM api_key_secrets")).length,
  };
}

const unknownKey = () => `sk_test_${randomHex(16)}`;

function models(key: string, testEnv: Env, ip?: string): Promise<Response> {
  const headers: Record<string, string> = { Authorization: `Bearer ${key}` };
  if (ip !== undefined) headers["CF-Connecting-IP"] = ip;
  return Promise.resolve(app.request("/v1/models", { headers }, testEnv));
}

async function codeOf(res: Response): Promise<string> {
  return ((await res.json()) as { error: { code: string } }).error.code;
}

describe("unknown API keys", () => {
  it("cost at most one D1 query per distinct key within the miss TTL, and one more after it", async () => {
    const { testEnv, d1KeyLookups } = countingEnv();
    const keys = Array.from({ length: 5 }, unknownKey);
    for (let round = 0; round < 4; round++) {
      for (const key of keys) expect((await models(key, testEnv)).status).toBe(401);
    }
    expect(d1KeyLookups()).toBe(keys.length);

    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + MISS_CACHE_TTL_MS + 1);
    for (const key of keys) expect((await models(key, testEnv)).status).toBe(401);
    expect(d1KeyLookups()).toBe(2 * keys.length);
  });

  it("never hide a key created after its miss", async () => {
    // The next secret the edge makes is this one: the client tried it before it existed.
    const secretBytes = crypto.getRandomValues(new Uint8Array(24));
    const secret = `sk_${toHex(secretBytes)}`;
    const { testEnv, d1KeyLookups } = countingEnv();
    expect((await models(secret, testEnv)).status).toBe(401);
    expect(d1KeyLookups()).toBe(1);

    const original = crypto.getRandomValues.bind(crypto);
    const nextRandom = ((array: Uint8Array) => {
      if (array.length !== secretBytes.length) return original(array);
      array.set(secretBytes);
      return array;
    }) as typeof crypto.getRandomValues;
    vi.spyOn(crypto, "getRandomValues").mockImplementation(nextRandom);
    const res = await call(
      "/admin/keys",
      { method: "POST", admin: true, body: JSON.stringify({ name: "after-a-miss" }) },
      testEnv,
    );
    vi.restoreAllMocks();
    expect(res.status).toBe(201);
    expect(((await res.json()) as { key: string }).key).toBe(secret);
    expect((await models(secret, testEnv)).status).toBe(200);
  });
});

describe("failed authentications per address", () => {
  it(`refuse the address with 429 after ${MAX_AUTH_FAILURES} distinct unknown keys, before any lookup, while another address still gets 401`, async () => {
    const { testEnv, d1KeyLookups } = countingEnv();
    const attacker = "203.0.113.50";
    for (let i = 0; i < MAX_AUTH_FAILURES; i++) {
      const res = await models(unknownKey(), testEnv, attacker);
      expect(res.status).toBe(401);
      expect(await codeOf(res)).toBe("invalid_api_key");
    }
    expect(d1KeyLookups()).toBe(MAX_AUTH_FAILURES);

    const refused = await models(unknownKey(), testEnv, attacker);
    expect(refused.status).toBe(429);
    expect(await codeOf(refused)).toBe("rate_limited");
    const retryAfterS = Number(refused.headers.get("Retry-After"));
    expect(retryAfterS).toBeGreaterThanOrEqual(1);
    expect(retryAfterS).toBeLessThanOrEqual(AUTH_FAILURE_WINDOW_MS / 1000);
    expect(d1KeyLookups()).toBe(MAX_AUTH_FAILURES);

    // Refused for any key: the address is not looked up again until the window ends.
    const good = await seedApiKey(["read"]);
    expect((await models(good, testEnv, attacker)).status).toBe(429);
    expect((await models(good, testEnv, "198.51.100.50")).status).toBe(200);
    const other = await models(unknownKey(), testEnv, "198.51.100.50");
    expect(other.status).toBe(401);
  });

  it("count one wrong key repeated once: a stale client config is answered 401, never refused", async () => {
    const { testEnv, d1KeyLookups } = countingEnv();
    const stale = unknownKey();
    for (let i = 0; i < 3 * MAX_AUTH_FAILURES; i++) {
      expect((await models(stale, testEnv, "203.0.113.60")).status).toBe(401);
    }
    expect(d1KeyLookups()).toBe(1);
  });

  it("count an IPv6 client by its /64, and IPv4 written as IPv6 as the IPv4 address", async () => {
    const { testEnv } = countingEnv();
    for (let i = 0; i < MAX_AUTH_FAILURES; i++) {
      expect((await models(unknownKey(), testEnv, `2001:db8:a:b::${(i + 1).toString(16)}`)).status).toBe(401);
    }
    expect((await models(unknownKey(), testEnv, "2001:db8:a:b:ffff:1:2:3")).status).toBe(429);
    expect((await models(unknownKey(), testEnv, "2001:db8:a:c::1")).status).toBe(401);

    expect(addressBucket("::ffff:192.0.2.1")).toBe("192.0.2.1");
    expect(addressBucket("2001:DB8:A:B:0:0:0:1")).toBe("2001:db8:a:b::/64");
    expect(addressBucket("garbage")).toBe("other:garbage");
  });

  it("are counted by the address's object in a window that its alarm clears", async () => {
    const stub = env.AUTH_FAILURES.getByName("192.0.2.77");
    const hash = (i: number) => i.toString(16).padStart(4, "0").padEnd(64, "0");
    for (let i = 1; i < MAX_AUTH_FAILURES; i++) {
      expect(await stub.fail(hash(i))).toEqual({ failures: i, blockedUntilMs: null });
      expect((await stub.fail(hash(i))).failures).toBe(i);
    }
    const reached = await stub.fail(hash(MAX_AUTH_FAILURES));
    expect(reached.failures).toBe(MAX_AUTH_FAILURES);
    expect(reached.blockedUntilMs).toBeGreaterThan(Date.now());

    // An alarm before the window's end keeps the count; one after it forgets the address.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await stub.fail(hash(MAX_AUTH_FAILURES + 1))).failures).toBe(MAX_AUTH_FAILURES + 1);
    // It keeps no more keys than it needs to say "over the limit".
    expect((await stub.fail(hash(MAX_AUTH_FAILURES + 2))).failures).toBe(MAX_AUTH_FAILURES + 1);
    await runInDurableObject(stub, (_instance: AuthFailures, state) => {
      state.storage.kv.put("window", { startMs: Date.now() - AUTH_FAILURE_WINDOW_MS, keys: ["0"] });
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await runInDurableObject(stub, (_instance: AuthFailures, state) => {
      expect([...state.storage.kv.list()]).toEqual([]);
    });
    expect(await stub.fail(hash(1))).toEqual({ failures: 1, blockedUntilMs: null });
  });
});
