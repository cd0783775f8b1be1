import { generationResponseSchema } from "@sdgate/shared";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { hotUrl } from "../cache/hot.ts";
import { SLOW_BACKEND_DELAY_MS } from "../test-support/fake-backends.ts";
import { fleetEnv, post, seedRoomyKey } from "../test-support/fleet.ts";
import { callsTo, uniquePrompt } from "../test-support/harness.ts";
import {
  jobsEnv,
  request,
  seedJobKey,
  streamCalls,
  submit,
  uniqueJobPrompt,
  waitForJob,
} from "../test-support/jobs-harness.ts";
import { objectsOf, seededRecord, seedStored, whereOf } from "../test-support/replay-cache.ts";

let key: string;
let keyId: string;
beforeAll(async () => {
  ({ key, id: keyId } = await seedRoomyKey());
  vi.spyOn(console, "warn").mockImplementation(() => {});
});

describe("replay cache", () => {
  it("answers a repeat from the cache with the same bytes, without touching a backend", async () => {
    const env = fleetEnv(["healthy"]);
    const body = { prompt: uniquePrompt(), seed: 42, steps: 4 };
    const first = await post(body, key, env);
    expect(first.status).toBe(200);
    expect(first.headers.get("X-Cache")).toBe("MISS");
    expect(first.headers.get("X-Backend")).toBe("fake-healthy");
    const firstBytes = await first.text();
    for (let i = 0; i < 3; i++) {
      const again = await post(body, key, env);
      expect(again.status).toBe(200);
      expect(again.headers.get("X-Cache")).toBe("HIT");
      expect(again.headers.get("X-Attempts")).toBe("0");
      expect(again.headers.get("X-Backend")).toBeNull();
      expect(await again.text()).toBe(firstBytes);
    }
    expect(await callsTo("healthy", body.prompt)).toHaveLength(1);
  });

  it("replays a request whose seed was assigned, once the caller sends that seed back", async () => {
    const env = fleetEnv(["healthy"]);
    const prompt = uniquePrompt();
    const first = generationResponseSchema.parse(await (await post({ prompt }, key, env)).json());
    const seed = first.data[0]?.seed;
    const replay = await post({ prompt, seed }, key, env);
    expect(replay.headers.get("X-Cache")).toBe("HIT");
    expect(generationResponseSchema.parse(await replay.json()).data).toEqual(first.data);
    expect(await callsTo("healthy", prompt)).toHaveLength(1);
  });

  it("serves a hit even when every backend is down", async () => {
    const body = { prompt: uniquePrompt(), seed: 3 };
    expect((await post(body, key, fleetEnv(["healthy"]))).headers.get("X-Cache")).toBe("MISS");
    const res = await post(body, key, fleetEnv(["down"]));
    expect(res.status).toBe(200);
    expect(res.headers.get("X-Cache")).toBe("HIT");
  });

  it("misses when anything that decides the image differs", async () => {
    const env = fleetEnv(["healthy"]);
    const prompt = uniquePrompt();
    const variants = [
      { prompt, seed: 1 },
      { prompt, seed: 2 },
      { prompt, seed: 1, steps: 5 },
      { prompt, seed: 1, output_format: "webp" },
      { prompt, seed: 1, rng: "philox" },
      { prompt, seed: 1, size: "128x128" },
      { prompt, seed: 1, negative_prompt: "blur" },
    ];
    for (const variant of variants) {
      expect((await post(variant, key, env)).headers.get("X-Cache"), JSON.stringify(variant)).toBe("MISS");
    }
    expect(await callsTo("healthy", prompt)).toHaveLength(variants.length);
    // Defaults filled in are the same request: steps 20 is the tiny model's default.
    expect((await post({ prompt, seed: 1, steps: 20, n: 1 }, key, env)).headers.get("X-Cache")).toBe("HIT");
  });

  it("misses after the fleet serves a new build of the model or a new engine", async () => {
    const body = { prompt: uniquePrompt(), seed: 9 };
    expect(
      (await post(body, key, fleetEnv(["healthy"], { models: { tiny: "sha256:aaa" } }))).headers.get(
        "X-Cache",
      ),
    ).toBe("MISS");
    expect(
      (await post(body, key, fleetEnv(["healthy"], { models: { tiny: "sha256:aaa" } }))).headers.get(
        "X-Cache",
      ),
    ).toBe("HIT");
    expect(
      (await post(body, key, fleetEnv(["healthy"], { models: { tiny: "sha256:bbb" } }))).headers.get(
        "X-Cache",
      ),
    ).toBe("MISS");
    const newEngine = fleetEnv(["healthy"], {
      models: { tiny: "sha256:bbb" },
      engineVersion: "sdgate-engine/next",
    });
    expect((await post(body, key, newEngine)).headers.get("X-Cache")).toBe("MISS");
    expect(await callsTo("healthy", body.prompt)).toHaveLength(3);
  });

  it("Cache-Control: no-cache bypasses the cache and refreshes it", async () => {
    const env = fleetEnv(["healthy"]);
    const body = { prompt: uniquePrompt(), seed: 5 };
    await post(body, key, env);
    const bypass = await post(body, key, env, { "Cache-Control": "no-cache" });
    expect(bypass.headers.get("X-Cache")).toBe("BYPASS");
    expect(bypass.headers.get("X-Backend")).toBe("fake-healthy");
    const refreshed = await bypass.text();
    expect(await callsTo("healthy", body.prompt)).toHaveLength(2);
    await expect.poll(async () => (await post(body, key, env)).text(), { timeout: 2_000 }).toBe(refreshed);
    expect(await callsTo("healthy", body.prompt)).toHaveLength(2);
  });

  it("Cache-Control: no-store neither reads nor writes the cache", async () => {
    const env = fleetEnv(["healthy"]);
    const body = { prompt: uniquePrompt(), seed: 6 };
    expect((await post(body, key, env, { "Cache-Control": "no-store" })).headers.get("X-Cache")).toBe(
      "BYPASS",
    );
    expect((await post(body, key, env)).headers.get("X-Cache")).toBe("MISS");
  });

  it("runs identical requests in flight as one backend job", async () => {
    const env = fleetEnv(["slow"]);
    const body = { prompt: uniquePrompt(), seed: 11 };
    const responses = await Promise.all(Array.from({ length: 8 }, () => post(body, key, env)));
    const statuses = responses.map((res) => res.headers.get("X-Cache"));
    expect(responses.map((res) => res.status)).toEqual(Array(8).fill(200));
    expect(statuses.filter((s) => s === "MISS")).toHaveLength(1);
    expect(statuses.filter((s) => s === "COALESCED")).toHaveLength(7);
    expect(new Set(await Promise.all(responses.map((res) => res.text()))).size).toBe(1);
    expect(await callsTo("slow", body.prompt)).toHaveLength(1);
  });
});

describe("Server-Timing", () => {
  /** `name;dur=N` entries of a Server-Timing header, by name. */
  function timings(res: Response): Record<string, number> {
    const header = res.headers.get("Server-Timing") ?? "";
    return Object.fromEntries(
      header.split(",").map((entry) => {
        const [name = "", ...params] = entry.trim().split(";");
        const dur = params.find((param) => param.startsWith("dur="))?.slice(4);
        return [name, Number(dur)];
      }),
    );
  }

  it("splits a miss into the fleet's time and the edge's, and a hit is all edge", async () => {
    const env = fleetEnv(["slow"]);
    const body = { prompt: uniquePrompt(), seed: 12 };
    const responses = await Promise.all(Array.from({ length: 3 }, () => post(body, key, env)));
    const miss = responses.find((res) => res.headers.get("X-Cache") === "MISS");
    const joined = responses.filter((res) => res.headers.get("X-Cache") === "COALESCED");
    expect(joined).toHaveLength(2);
    const missTimings = timings(miss as Response);
    expect(Object.keys(missTimings)).toEqual(["fleet", "engine", "edge", "total"]);
    expect(missTimings.fleet).toBeGreaterThanOrEqual(SLOW_BACKEND_DELAY_MS);
    expect(missTimings.total).toBeGreaterThanOrEqual(missTimings.fleet ?? Number.NaN);
    expect(missTimings.edge).toBe((missTimings.total ?? 0) - (missTimings.fleet ?? 0));
    expect((miss as Response).headers.get("Server-Timing")).toContain('desc="1 attempt"');
    for (const res of joined) expect(Object.keys(timings(res))).toEqual(["total"]);

    const hit = await post(body, key, env);
    expect(hit.headers.get("X-Cache")).toBe("HIT");
    expect(Object.keys(timings(hit))).toEqual(["edge", "total"]);
  });
});

describe("replay cache: tenants", () => {
  it("never shares images between tenants: the same request from two keys runs twice", async () => {
    const env = fleetEnv(["healthy"]);
    const other = await seedRoomyKey();
    const body = { prompt: uniquePrompt(), seed: 21 };
    expect((await post(body, key, env)).headers.get("X-Cache")).toBe("MISS");
    expect((await post(body, other.key, env)).headers.get("X-Cache")).toBe("MISS");
    expect((await post(body, key, env)).headers.get("X-Cache")).toBe("HIT");
    expect((await post(body, other.key, env)).headers.get("X-Cache")).toBe("HIT");
    expect(await callsTo("healthy", body.prompt)).toHaveLength(2);
  });

  it("does not coalesce identical requests of two tenants either", async () => {
    const env = fleetEnv(["slow"]);
    const other = await seedRoomyKey();
    const body = { prompt: uniquePrompt(), seed: 22 };
    const [a, b] = await Promise.all([post(body, key, env), post(body, other.key, env)]);
    expect([a.headers.get("X-Cache"), b.headers.get("X-Cache")]).toEqual(["MISS", "MISS"]);
    expect(await callsTo("slow", body.prompt)).toHaveLength(2);
  });
});

describe("replay cache: what a request reads and writes", () => {
  it("a miss writes one R2 object and its thumbnail, no Cache API copy; the first hit read from R2 makes that copy", async () => {
    const env = fleetEnv(["healthy"]);
    const body = { prompt: uniquePrompt(), seed: 31 };
    const where = await whereOf(body, keyId, env);
    expect((await post(body, key, env)).headers.get("X-Cache")).toBe("MISS");
    await expect
      .poll(async () => (await objectsOf(where.tenantTag)).filter((name) => name.includes(where.cacheKey)))
      .toEqual([
        `img/${where.tenantTag}/${where.cacheKey}/0`,
        `img/${where.tenantTag}/${where.cacheKey}/thumb-0`,
      ]);
    expect(await caches.default.match(hotUrl(where.tenantTag, where.cacheKey))).toBeUndefined();

    // An entry this isolate has never seen: the shard's index sends the request to R2.
    const other = { prompt: uniquePrompt(), seed: 32 };
    const stored = await whereOf(other, keyId, env);
    await seedStored(stored, seededRecord(32), true);
    const hit = await post(other, key, env);
    expect(hit.headers.get("X-Cache")).toBe("HIT");
    await expect
      .poll(async () => (await caches.default.match(hotUrl(stored.tenantTag, stored.cacheKey)))?.text())
      .toBe(await hit.text());
  });

  it("replays an entry only R2 and the coalescer's index hold, without a backend", async () => {
    const env = fleetEnv(["healthy"]);
    const body = { prompt: uniquePrompt(), seed: 33 };
    await seedStored(await whereOf(body, keyId, env), seededRecord(33), true);
    const res = await post(body, key, env);
    expect(res.status).toBe(200);
    expect(res.headers.get("X-Cache")).toBe("HIT");
    expect(res.headers.get("X-Backend")).toBeNull();
    expect(((await res.json()) as { backend: string }).backend).toBe("seeded-in-r2");
    expect(await callsTo("healthy", body.prompt)).toHaveLength(0);
  });
});

describe("replay cache: async jobs", () => {
  it("replays an async job's result to the synchronous route as a HIT, without a backend call", async () => {
    const { key: jobKey } = await seedJobKey();
    const testEnv = jobsEnv(["stream"]);
    const prompt = uniqueJobPrompt();
    const body = { prompt, seed: 21, steps: 3 };
    const accepted = await submit(body, jobKey, testEnv);
    expect(accepted.status).toBe(202);
    const { id } = (await accepted.json()) as { id: string };
    const done = await waitForJob(id, jobKey, testEnv);
    expect(done.status).toBe("succeeded");
    expect(await streamCalls("stream", prompt)).toHaveLength(1);

    const replay = await request("POST", "/v1/images/generations", jobKey, testEnv, { body });
    expect(replay.status).toBe(200);
    expect(replay.headers.get("X-Cache")).toBe("HIT");
    expect(replay.headers.get("X-Attempts")).toBe("0");
    expect(replay.headers.get("X-Backend")).toBeNull();
    const replayed = generationResponseSchema.parse(await replay.json());
    expect(replayed.data).toEqual(done.result?.data);
    expect(replayed.data.map((image) => image.seed)).toEqual([21]);
    // The job's one streaming call is still the only backend call for this prompt.
    expect(await streamCalls("stream", prompt)).toHaveLength(1);
  });
});
