import { env } from "cloudflare:workers";
import { randomHex, sha256Hex } from "@sdgate/shared";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import app from "../index.ts";
import { apiKeyRecordKey } from "../keys/api-key.ts";
import { fleetEnv, post, seedRoomyKey } from "../test-support/fleet.ts";
import {
  callsTo,
  type Envelope,
  edgeEnv,
  generate,
  seedApiKey,
  uniquePrompt,
} from "../test-support/harness.ts";
import { seededRecord, seedStored, whereOf } from "../test-support/replay-cache.ts";

let key: string;
let readOnlyKey: string;
beforeAll(async () => {
  key = await seedApiKey(["generate"]);
  readOnlyKey = await seedApiKey(["read"]);
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** Runs `fn` while capturing everything the worker logs. */
async function captureLogs<T>(fn: () => Promise<T>): Promise<{ result: T; logs: string }> {
  const lines: string[] = [];
  for (const method of ["log", "warn", "error"] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      lines.push(args.map(String).join(" "));
    });
  }
  const result = await fn();
  return { result, logs: lines.join("\n") };
}

async function codeOf(res: Response): Promise<string> {
  return ((await res.json()) as Envelope).error.code;
}

describe("POST /v1/images/generations: authentication", () => {
  it("answers 401 missing_api_key without a key, before reading the body", async () => {
    const res = await generate("{ not even json", { key: null });
    expect(res.status).toBe(401);
    expect(await codeOf(res)).toBe("missing_api_key");
  });

  it("answers 401 invalid_api_key for a key that does not exist", async () => {
    const res = await generate({ prompt: "x" }, { key: `sk_test_${randomHex(16)}` });
    expect(res.status).toBe(401);
    expect(await codeOf(res)).toBe("invalid_api_key");
  });

  it("answers 403 insufficient_scope for a key without 'generate', and calls no backend", async () => {
    const prompt = uniquePrompt();
    const res = await generate({ prompt }, { key: readOnlyKey });
    expect(res.status).toBe(403);
    expect(await codeOf(res)).toBe("insufficient_scope");
    expect(await callsTo("healthy", prompt)).toHaveLength(0);
  });

  it("answers 401 to a revoked key at once, even for a cache hit or a malformed body", async () => {
    const revokedKey = await seedApiKey(["generate"]);
    const record = await env.API_KEYS.get<{ id: string }>(
      apiKeyRecordKey(await sha256Hex(revokedKey)),
      "json",
    );
    const body = { prompt: uniquePrompt(), seed: 7 };
    expect((await generate(body, { key: revokedKey })).status).toBe(200);
    // The isolate keeps the key's record and the image; only the key's Durable Object knows.
    await env.KEY_STATE.getByName(record?.id ?? "").revoke();
    for (const request of [body, "{ not json", { prompt: "x", width: 100 }]) {
      const res = await generate(request, { key: revokedKey });
      expect(res.status).toBe(401);
      expect(res.headers.get("X-Cache")).toBeNull();
      expect(((await res.json()) as Envelope).error.message).toMatch(/revoked/);
    }
  });

  it("answers 500 (neither a crash nor a pass) when a stored key record is corrupt", async () => {
    const corruptKey = `sk_test_${randomHex(16)}`;
    await env.API_KEYS.put(
      apiKeyRecordKey(await sha256Hex(corruptKey)),
      JSON.stringify({ scopes: "generate" }),
    );
    const { result: res } = await captureLogs(() => generate({ prompt: "x" }, { key: corruptKey }));
    expect(res.status).toBe(500);
    expect(await codeOf(res)).toBe("internal_error");
  });
});

describe("what leaks", () => {
  it("never logs the API key, the Authorization header or the HMAC secret", async () => {
    const wrongKey = `sk_test_${randomHex(16)}`;
    const { logs } = await captureLogs(async () => {
      await generate(
        { prompt: uniquePrompt() },
        { key, env: edgeEnv(["unavailable", "rateLimited", "malformed"]) },
      );
      await generate({ prompt: "x" }, { key: wrongKey });
      await app.request("/healthz", {}, edgeEnv(["healthy"], { SDGATE_HMAC_KEYS: "k1:too-short-a-secret" }));
    });
    expect(logs).not.toBe("");
    const secret = env.SDGATE_HMAC_KEYS.split(":")[1] ?? "";
    for (const forbidden of [key, wrongKey, secret, "too-short-a-secret", "Bearer"]) {
      expect(logs).not.toContain(forbidden);
    }
  });

  it("never returns a stack trace, an internal message or a backend URL", async () => {
    const { result: responses } = await captureLogs(() =>
      Promise.all([
        generate("{ nope", { key }),
        generate({ prompt: "x", width: 100 }, { key }),
        generate({ prompt: uniquePrompt() }, { key, env: edgeEnv(["unavailable", "malformed"]) }),
        generate({ prompt: uniquePrompt() }, { key, env: edgeEnv(["healthy"], { SDGATE_BACKENDS: "[{" }) }),
        app.request("/v1/images/generations", { method: "PUT" }, edgeEnv()),
        app.request("/nope", {}, edgeEnv()),
      ]),
    );
    for (const res of responses) {
      const text = await res.text();
      expect(text).not.toMatch(/\n\s+at |Error:|\.ts:\d+|SyntaxError|ZodError|127\.0\.0\.1/);
      expect(() => JSON.parse(text)).not.toThrow();
    }
  });

  it("treats a backend refusing the edge's signature as a 502, not as the caller's 401", async () => {
    const prompt = uniquePrompt();
    const otherKeys = `edge-test:${randomHex(24)}`;
    // Run in this request's isolate (no-store), which signs with this request's env; the coalescer's
    // object signs with the env it was deployed with, which every test shares.
    const { result: res } = await captureLogs(() =>
      generate(
        { prompt },
        {
          key,
          env: edgeEnv(["healthy"], { SDGATE_HMAC_KEYS: otherKeys }),
          headers: { "cache-control": "no-store" },
        },
      ),
    );
    expect(res.status).toBe(502);
    expect(await codeOf(res)).toBe("backend_error");
    const [call] = await callsTo("healthy", prompt);
    expect(call?.signature).toBe("bad_signature");
  });
});

describe("replay cache index: tenants and revoked keys", () => {
  it("never answers one tenant with another's stored entry, though the index holds it", async () => {
    const owner = await seedRoomyKey();
    const other = await seedRoomyKey();
    const testEnv = fleetEnv(["healthy"]);
    const body = { prompt: uniquePrompt(), seed: 51 };
    await seedStored(await whereOf(body, owner.id, testEnv), seededRecord(51), true);
    const res = await post(body, other.key, testEnv);
    expect(res.headers.get("X-Cache")).toBe("MISS");
    expect(((await res.json()) as { backend: string }).backend).toBe("fake-healthy");
    const mine = await post(body, owner.key, testEnv);
    expect(((await mine.json()) as { backend: string }).backend).toBe("seeded-in-r2");
  });

  it("answers 401 to a revoked key for an entry only R2 and the index hold", async () => {
    const revoked = await seedRoomyKey();
    const testEnv = fleetEnv(["healthy"]);
    expect((await post({ prompt: uniquePrompt(), seed: 1 }, revoked.key, testEnv)).status).toBe(200);
    const body = { prompt: uniquePrompt(), seed: 52 };
    await seedStored(await whereOf(body, revoked.id, testEnv), seededRecord(52), true);
    await env.KEY_STATE.getByName(revoked.id).revoke();
    const res = await post(body, revoked.key, testEnv);
    expect(res.status).toBe(401);
    expect(res.headers.get("X-Cache")).toBeNull();
    expect(await res.text()).not.toContain("seeded-in-r2");
  });
});
