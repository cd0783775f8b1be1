import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { fleetEnv, post, seedRoomyKey, sleep, switchFake } from "../test-support/fleet.ts";
import { callsTo, type Envelope, uniquePrompt } from "../test-support/harness.ts";

let key: string;
beforeAll(async () => {
  ({ key } = await seedRoomyKey());
  vi.spyOn(console, "warn").mockImplementation(() => {});
  vi.spyOn(console, "error").mockImplementation(() => {});
});
afterAll(async () => {
  await switchFake("ok");
});

/** A fresh request each time: routing is about misses, so no request may hit the cache. */
const fresh = () => ({ prompt: uniquePrompt(), seed: 1 });

async function breakerOf(fleet: string, backend: string): Promise<string> {
  const snapshot = await env.BACKEND_HEALTH.getByName(fleet).describe();
  return snapshot.states[backend]?.mode ?? "closed";
}

describe("routing", () => {
  it("says who served the request and where", async () => {
    const testEnv = fleetEnv([{ behaviour: "healthy", region: "eu-west" }]);
    const res = await post(fresh(), key, testEnv);
    expect(res.headers.get("X-Backend")).toBe("fake-healthy");
    expect(res.headers.get("X-Backend-Region")).toBe("eu-west");
    expect(res.headers.get("X-Attempts")).toBe("1");
  });

  it("fails over to another provider before trying the failing provider's other pool", async () => {
    const testEnv = fleetEnv([
      { behaviour: "flaky", name: "p1-a", provider: "p1" },
      { behaviour: "flaky", name: "p1-b", provider: "p1" },
      { behaviour: "healthyB", provider: "p2" },
    ]);
    const body = fresh();
    const res = await post(body, key, testEnv);
    expect(res.status).toBe(200);
    expect(res.headers.get("X-Backend")).toBe("fake-healthyB");
    expect(res.headers.get("X-Attempts")).toBe("2");
    expect(await callsTo("flaky", body.prompt)).toHaveLength(1);
  });

  it("sends traffic to the backend reporting the shorter queue", async () => {
    const testEnv = fleetEnv([
      { behaviour: "busy", priority: 0 },
      { behaviour: "healthy", priority: 0 },
    ]);
    // Until the busy one has reported its queue, the two share by weight.
    for (let i = 0; i < 30; i++) {
      if ((await post(fresh(), key, testEnv)).headers.get("X-Backend") === "fake-busy") break;
    }
    for (let i = 0; i < 5; i++) {
      expect((await post(fresh(), key, testEnv)).headers.get("X-Backend")).toBe("fake-healthy");
    }
  });

  it("never retries a 4xx", async () => {
    const testEnv = fleetEnv(["badRequest", "healthy"]);
    const body = fresh();
    const res = await post(body, key, testEnv);
    expect(res.status).toBe(400);
    expect(res.headers.get("X-Attempts")).toBe("1");
    expect(await callsTo("healthy", body.prompt)).toHaveLength(0);
  });
});

describe("passive health", () => {
  it("skips a dead backend from the request after its first failure", async () => {
    const testEnv = fleetEnv(["down", "healthy"]);
    const first = await post(fresh(), key, testEnv);
    expect(first.headers.get("X-Attempts")).toBe("2");
    const startedMs = Date.now();
    const next = await post(fresh(), key, testEnv);
    expect(next.headers.get("X-Attempts")).toBe("1");
    expect(next.headers.get("X-Backend")).toBe("fake-healthy");
    expect(Date.now() - startedMs).toBeLessThan(1_000);
    await expect.poll(() => breakerOf(testEnv.fleet, "fake-down"), { timeout: 1_000 }).toBe("open");
  });

  it("honours Retry-After: a backend that said wait gets nothing until then", async () => {
    const testEnv = fleetEnv(["unavailable", "healthy"], { breaker: { failure_threshold: 100 } });
    const first = fresh();
    expect((await post(first, key, testEnv)).headers.get("X-Attempts")).toBe("2");
    const second = fresh();
    const res = await post(second, key, testEnv);
    expect(res.headers.get("X-Attempts")).toBe("1");
    expect(await callsTo("unavailable", second.prompt)).toHaveLength(0);
    await sleep(2_100); // the fake said `Retry-After: 2`
    const third = fresh();
    expect((await post(third, key, testEnv)).headers.get("X-Attempts")).toBe("2");
    expect(await callsTo("unavailable", third.prompt)).toHaveLength(1);
  });

  it("walks the breaker closed → open → half-open (one probe) → closed", async () => {
    const testEnv = fleetEnv(["switchable", "healthy"], {
      breaker: { failure_threshold: 2, cooldown_ms: 300 },
    });
    const name = "fake-switchable";
    await switchFake("fail");
    expect((await post(fresh(), key, testEnv)).headers.get("X-Attempts")).toBe("2");
    expect(await breakerOf(testEnv.fleet, name)).toBe("closed");
    expect((await post(fresh(), key, testEnv)).headers.get("X-Attempts")).toBe("2");
    expect(await breakerOf(testEnv.fleet, name)).toBe("open");
    const skipped = await post(fresh(), key, testEnv);
    expect(skipped.headers.get("X-Attempts")).toBe("1");
    expect(skipped.headers.get("X-Backend")).toBe("fake-healthy");

    await switchFake("ok");
    await sleep(350);
    // Two requests at once after the cool-down: exactly one is let through as the probe.
    const pair = await Promise.all([post(fresh(), key, testEnv), post(fresh(), key, testEnv)]);
    expect(pair.map((res) => res.headers.get("X-Backend")).sort()).toEqual([
      "fake-healthy",
      "fake-switchable",
    ]);
    await expect.poll(() => breakerOf(testEnv.fleet, name), { timeout: 1_000 }).toBe("closed");
    expect((await post(fresh(), key, testEnv)).headers.get("X-Backend")).toBe(name);
  });

  it("answers 503 at once, with Retry-After, when every backend is out", async () => {
    const testEnv = fleetEnv(["down"], { breaker: { cooldown_ms: 5_000 } });
    expect((await post(fresh(), key, testEnv)).status).toBe(503);
    const startedMs = Date.now();
    const res = await post(fresh(), key, testEnv);
    expect(Date.now() - startedMs).toBeLessThan(200);
    expect(res.status).toBe(503);
    expect(res.headers.get("X-Attempts")).toBe("0");
    expect(Number(res.headers.get("Retry-After"))).toBeGreaterThanOrEqual(1);
    expect(((await res.json()) as Envelope).error.code).toBe("backend_unavailable");
  });
});

describe("retry budget", () => {
  it("once spent, fails fast with a 503 instead of retrying", async () => {
    const testEnv = fleetEnv(
      [
        { behaviour: "flaky", name: "flaky-1", provider: "p1" },
        // failing otherwise than flaky-1: two backends failing word for word is the request's fault
        { behaviour: "rateLimited", name: "limited-2", provider: "p2" },
        { behaviour: "healthy", provider: "p3" },
      ],
      {
        retry: { budget_burst: 1, budget_ratio: 0, budget_min_per_second: 0, backoff_base_ms: 1 },
        breaker: { failure_threshold: 1_000, min_requests: 1_000 },
      },
    );
    const first = await post(fresh(), key, testEnv);
    expect(first.status).toBe(503);
    expect(first.headers.get("X-Attempts")).toBe("2");
    const body = fresh();
    const startedMs = Date.now();
    const second = await post(body, key, testEnv);
    expect(Date.now() - startedMs).toBeLessThan(500);
    expect(second.status).toBe(503);
    expect(second.headers.get("X-Attempts")).toBe("1");
    expect(second.headers.get("Retry-After")).not.toBeNull();
    expect(((await second.json()) as Envelope).error.message).toMatch(/retry budget/);
    expect(await callsTo("healthy", body.prompt)).toHaveLength(0);
  });

  it("stops after `attempts` tries", async () => {
    const testEnv = fleetEnv(["flaky", "unavailable", "rateLimited", "healthy"], { retry: { attempts: 3 } });
    const res = await post(fresh(), key, testEnv);
    expect(res.status).toBe(503);
    expect(res.headers.get("X-Attempts")).toBe("3");
  });
});
