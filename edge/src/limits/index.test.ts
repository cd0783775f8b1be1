import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { describe, expect, it, vi } from "vitest";
import { configFor } from "../env.ts";
import type { AppEnv } from "../hono-env.ts";
import { auth } from "../keys/auth.ts";
import { apiKeyStore } from "../keys/lookup.ts";
import { type CreatedKey, createKey } from "../keys/testing.ts";
import { errorHandler } from "../middleware/error-handler/index.ts";
import { requestId } from "../middleware/request-id/index.ts";
import type { Envelope } from "../test-support/harness.ts";
import { type Admission, admit, admitRequestOnly } from "./index.ts";
import type { KeyState } from "./key-state.ts";
import type { KeyLimits } from "./policy.ts";

/**
 * A small app with the edge's real auth and limits: `POST /job?cost=N` admits a generation and holds
 * it until the test releases it (`ok=0` settles it as failed); `GET /ping` counts a request only;
 * `GET /broken` fails after admission.
 */
function limitedApp() {
  const app = new Hono<AppEnv>();
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const held: Admission[] = [];
  app.use(requestId());
  app.use(async (c, next) => {
    c.set("config", configFor(c.env));
    await next();
  });
  app.use(auth<AppEnv>({ store: (c) => apiKeyStore(c.var.config) }));
  app.post("/job", async (c) => {
    const admission = await admit(c, Number(c.req.query("cost") ?? "1"));
    held.push(admission);
    await released;
    const ok = c.req.query("ok") !== "0";
    const actual = c.req.query("actual");
    await admission.settle(actual === undefined ? { ok } : { ok, actualCost: Number(actual) });
    return c.json({ cost: admission.cost });
  });
  app.get("/ping", async (c) => {
    await admitRequestOnly(c);
    return c.json({ ok: true });
  });
  app.get("/broken", async (c) => {
    await admitRequestOnly(c);
    throw new Error("boom");
  });
  app.onError(errorHandler());
  return {
    held,
    release,
    request: (key: CreatedKey, path: string, method = "GET"): Promise<Response> =>
      Promise.resolve(app.request(path, { method, headers: { Authorization: `Bearer ${key.key}` } }, env)),
  };
}

function keyWith(limits: Partial<KeyLimits>): Promise<CreatedKey> {
  return createKey({ limits: { requests_per_minute: 10_000, concurrency: 1000, credits: null, ...limits } });
}

function setClock(key: CreatedKey, nowMs: number): Promise<void> {
  return runInDurableObject(env.KEY_STATE.getByName(key.id), (instance: KeyState) => {
    instance.now = () => nowMs;
  });
}

async function errorOf(res: Response): Promise<Envelope["error"]> {
  return ((await res.json()) as Envelope).error;
}

function countStatuses(responses: Response[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const res of responses) counts[res.status] = (counts[res.status] ?? 0) + 1;
  return counts;
}

describe("exact limits under concurrency", () => {
  it("100 concurrent generations against a concurrency limit of 10 admit exactly 10", async () => {
    const key = await keyWith({ concurrency: 10 });
    const app = limitedApp();
    let finished = 0;
    const pending = Array.from({ length: 100 }, () =>
      app.request(key, "/job?cost=1", "POST").finally(() => {
        finished++;
      }),
    );
    // Every request has been decided once the refused ones have answered and the rest are held.
    await vi.waitFor(() => expect(finished + app.held.length).toBe(100), { timeout: 5000 });
    expect(app.held).toHaveLength(10);
    app.release();
    const responses = await Promise.all(pending);
    expect(countStatuses(responses)).toEqual({ 200: 10, 429: 90 });
    const refused = responses.filter((res) => res.status === 429);
    for (const res of refused.slice(0, 5)) {
      expect(res.headers.get("Retry-After")).toBe("1");
      const error = await errorOf(res);
      expect(error.code).toBe("rate_limited");
      expect(error.param).toBe("concurrency");
    }
    // The slots are free again once the ten have settled.
    const next = limitedApp();
    next.release();
    expect((await next.request(key, "/job", "POST")).status).toBe(200);
  });

  it("100 concurrent requests against 10 requests per minute admit exactly 10", async () => {
    const key = await keyWith({ requests_per_minute: 10 });
    const app = limitedApp();
    const responses = await Promise.all(Array.from({ length: 100 }, () => app.request(key, "/ping")));
    expect(countStatuses(responses)).toEqual({ 200: 10, 429: 90 });
    const refused = responses.find((res) => res.status === 429) as Response;
    expect((await errorOf(refused)).param).toBe("requests_per_minute");
    expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThanOrEqual(1);
  });
});

describe("the request bucket", () => {
  it("refills at requests_per_minute / 60 per second, up to its capacity", async () => {
    const key = await keyWith({ requests_per_minute: 10 });
    const app = limitedApp();
    const t0 = Date.now();
    await setClock(key, t0);
    for (let i = 0; i < 10; i++) expect((await app.request(key, "/ping")).status).toBe(200);
    const empty = await app.request(key, "/ping");
    expect(empty.status).toBe(429);
    // One token every 6 s at 10 per minute.
    expect(empty.headers.get("Retry-After")).toBe("6");

    await setClock(key, t0 + 5_900);
    expect((await app.request(key, "/ping")).status).toBe(429);
    await setClock(key, t0 + 6_000);
    expect((await app.request(key, "/ping")).status).toBe(200);
    expect((await app.request(key, "/ping")).status).toBe(429);

    // Idle for ten minutes: full again, and no more than full.
    await setClock(key, t0 + 600_000);
    const responses = [];
    for (let i = 0; i < 11; i++) responses.push((await app.request(key, "/ping")).status);
    expect(responses.filter((s) => s === 200)).toHaveLength(10);
  });
});

describe("the credit ledger", () => {
  it("reserves a job's cost before it runs and charges it when it succeeds", async () => {
    const key = await keyWith({ credits: 100 });
    const app = limitedApp();
    const first = app.request(key, "/job?cost=60", "POST");
    await vi.waitFor(() => expect(app.held).toHaveLength(1));
    // 60 reserved: a second job of 60 does not fit while the first runs.
    const second = await app.request(key, "/job?cost=60", "POST");
    expect(second.status).toBe(429);
    const error = await errorOf(second);
    expect(error.param).toBe("credits");
    expect(error.message).toMatch(/40 credits left; this request needs 60/);
    expect(second.headers.get("Retry-After")).toBe("1");
    app.release();
    expect((await first).status).toBe(200);
    const ping = await app.request(key, "/ping");
    expect(ping.headers.get("RateLimit")).toContain('"credits";r=40');
  });

  it("refunds a failed job in full", async () => {
    const key = await keyWith({ credits: 100 });
    const app = limitedApp();
    app.release();
    expect((await app.request(key, "/job?cost=100&ok=0", "POST")).status).toBe(200);
    const ping = await app.request(key, "/ping");
    expect(ping.headers.get("RateLimit")).toContain('"credits";r=100');
  });

  it("settles at the actual cost when it differs from the estimate", async () => {
    const key = await keyWith({ credits: 100 });
    const app = limitedApp();
    app.release();
    expect((await app.request(key, "/job?cost=50&actual=20", "POST")).status).toBe(200);
    const ping = await app.request(key, "/ping");
    expect(ping.headers.get("RateLimit")).toContain('"credits";r=80');
  });

  it("refuses a job once the credits are spent, with nothing left to wait for", async () => {
    const key = await keyWith({ credits: 10 });
    const app = limitedApp();
    app.release();
    expect((await app.request(key, "/job?cost=10", "POST")).status).toBe(200);
    const res = await app.request(key, "/job?cost=1", "POST");
    expect(res.status).toBe(429);
    expect((await errorOf(res)).param).toBe("credits");
    expect(Number(res.headers.get("Retry-After"))).toBeGreaterThan(60);
    // Requests that generate nothing still pass: they cost no credits.
    expect((await app.request(key, "/ping")).status).toBe(200);
  });

  it("settles each admission once, however often settle is called", async () => {
    const key = await keyWith({ credits: 100 });
    const app = limitedApp();
    const job = app.request(key, "/job?cost=30", "POST");
    await vi.waitFor(() => expect(app.held).toHaveLength(1));
    app.release();
    await job;
    await app.held[0]?.settle({ ok: true, actualCost: 30 });
    await app.held[0]?.settle({ ok: false });
    expect((await app.request(key, "/ping")).headers.get("RateLimit")).toContain('"credits";r=70');
  });
});

describe("RateLimit headers (draft-ietf-httpapi-ratelimit-headers)", () => {
  it("are on every response of an admitted request, in structured-field syntax", async () => {
    const key = await keyWith({ requests_per_minute: 60, concurrency: 2, credits: 1000 });
    const app = limitedApp();
    const res = await app.request(key, "/ping");
    expect(res.headers.get("RateLimit-Policy")).toBe(
      '"requests_per_minute";q=60;w=60, "concurrency";q=2;qu="concurrent-requests", "credits";q=1000;sdgate-unit="credit"',
    );
    expect(res.headers.get("RateLimit")).toBe(
      '"requests_per_minute";r=59;t=1, "concurrency";r=2, "credits";r=1000',
    );
  });

  it("are on error responses after admission too, and on 429s", async () => {
    const key = await keyWith({ requests_per_minute: 1 });
    const app = limitedApp();
    vi.spyOn(console, "error").mockImplementation(() => {});
    const broken = await app.request(key, "/broken");
    expect(broken.status).toBe(500);
    expect(broken.headers.get("RateLimit")).toMatch(/^"requests_per_minute";r=0;t=60/);
    const limited = await app.request(key, "/ping");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("RateLimit-Policy")).toMatch(/^"requests_per_minute";q=1;w=60/);
    expect(limited.headers.get("RateLimit")).toMatch(/^"requests_per_minute";r=0;t=\d+/);
    vi.restoreAllMocks();
  });

  it("leave out the credits policy for a key without a credit limit", async () => {
    const key = await keyWith({});
    const res = await limitedApp().request(key, "/ping");
    expect(res.headers.get("RateLimit-Policy")).not.toContain("credits");
  });
});
