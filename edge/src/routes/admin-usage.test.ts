import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { AUDIT_LOG_NAME } from "../audit/index.ts";
import type { UsageRow, usageTotals } from "../audit/usage.ts";
import { call, createKey } from "../keys/testing.ts";
import { auditGeneration } from "../test-support/audit-entries.ts";
import { fleetEnv, post, seedRoomyKey } from "../test-support/fleet.ts";
import { uniquePrompt } from "../test-support/harness.ts";

interface Usage {
  interval: string;
  from: string;
  to: string;
  key_id: string | null;
  data: UsageRow[];
  totals: ReturnType<typeof usageTotals>;
}

async function usage(query: string): Promise<Usage> {
  const res = await call(`/admin/usage?${query}`, { admin: true });
  expect(res.status).toBe(200);
  return (await res.json()) as Usage;
}

describe("GET /admin/usage", () => {
  it("counts a key's generations as they happen: misses, hits and failures, with the credits charged", async () => {
    const { key, id } = await seedRoomyKey();
    const body = { prompt: uniquePrompt(), seed: 9 };
    expect((await post(body, key, fleetEnv(["healthy"]))).headers.get("X-Cache")).toBe("MISS");
    expect((await post(body, key, fleetEnv(["healthy"]))).headers.get("X-Cache")).toBe("HIT");
    expect((await post({ prompt: uniquePrompt() }, key, fleetEnv(["down"]))).status).toBeGreaterThanOrEqual(
      500,
    );
    // Generations reach the audit log in batches, a moment after their responses.
    await expect.poll(async () => (await usage(`key_id=${id}`)).totals.requests, { timeout: 5000 }).toBe(3);
    const report = await usage(`key_id=${id}`);
    expect(report).toMatchObject({ interval: "day", key_id: id });
    expect(report.totals).toMatchObject({ requests: 3, succeeded: 2, failed: 1, cache_hits: 1 });
    expect(report.totals.credits).toBeGreaterThan(0);
    expect(
      report.data.every((row) => row.group === id && row.period === new Date().toISOString().slice(0, 10)),
    ).toBe(true);
  });

  it("groups by day or by hour within [from, to), per key", async () => {
    const a = await createKey({ name: "usage-a" });
    const b = await createKey({ name: "usage-b" });
    await env.AUDIT_LOG.getByName(AUDIT_LOG_NAME).appendAll([
      auditGeneration(a.id, "2020-01-01T09:15:00.000Z"),
      auditGeneration(a.id, "2020-01-01T09:45:00.000Z", { status: 503, cost: 0, latency_ms: 300 }),
      auditGeneration(a.id, "2020-01-01T23:59:59.999Z", {
        detail: JSON.stringify({ cache: "HIT" }),
        cost: 0,
      }),
      auditGeneration(a.id, "2020-01-02T00:00:00.000Z"),
      auditGeneration(b.id, "2020-01-01T12:00:00.000Z", { cost: 25 }),
    ]);
    const days = await usage("from=2020-01-01&to=2020-01-02T00:00:00Z");
    expect(days.data.filter((row) => row.group === a.id)).toEqual([
      {
        group: a.id,
        period: "2020-01-01",
        requests: 3,
        succeeded: 2,
        failed: 1,
        cache_hits: 1,
        label: "usage-a",
        credits: 10,
        mean_latency_ms: 167,
        images: 2,
        gpu_seconds: 0.4,
        saved_credits: 0,
        saved_gpu_seconds: 0,
      },
    ]);
    expect(days.data.find((row) => row.group === b.id)).toMatchObject({ period: "2020-01-01", credits: 25 });

    const hours = await usage(`key_id=${a.id}&from=2020-01-01&to=2020-01-03&interval=hour`);
    expect(hours.data.map((row) => [row.period, row.requests])).toEqual([
      ["2020-01-01T09", 2],
      ["2020-01-01T23", 1],
      ["2020-01-02T00", 1],
    ]);
    expect(hours.totals).toMatchObject({ requests: 4, credits: 20, mean_latency_ms: 150 });
  });

  it("groups by a label of the keys (group_by=metadata.team), keys without it under null", async () => {
    const make = async (name: string, metadata?: Record<string, string>) => {
      const res = await call("/admin/keys", {
        method: "POST",
        admin: true,
        body: JSON.stringify({ name, ...(metadata ? { metadata } : {}) }),
      });
      expect(res.status).toBe(201);
      return (await res.json()) as { id: string; metadata: Record<string, string> };
    };
    const search1 = await make("s1", { team: "search", cost_center: "cc-1" });
    const search2 = await make("s2", { team: "search" });
    const ads = await make("ads", { team: "ads" });
    const bare = await make("bare");
    expect(search1.metadata).toEqual({ team: "search", cost_center: "cc-1" });
    expect(bare.metadata).toEqual({});
    const day = "2021-03-04T10:00:00.000Z";
    await env.AUDIT_LOG.getByName(AUDIT_LOG_NAME).appendAll([
      auditGeneration(search1.id, day, { cost: 5 }),
      auditGeneration(search2.id, day, { cost: 7 }),
      auditGeneration(ads.id, day, { cost: 11 }),
      auditGeneration(bare.id, day, { cost: 13 }),
    ]);
    const report = await usage("from=2021-03-04&to=2021-03-05&group_by=metadata.team");
    expect(report).toMatchObject({ group_by: "metadata.team" });
    expect(report.data.map((row) => [row.group, row.requests, row.credits])).toEqual([
      [null, 1, 13],
      ["ads", 1, 11],
      ["search", 2, 12],
    ]);
  });

  it("refuses a backwards or too long range, a bad date or key id, and callers without the admin token", async () => {
    for (const [query, param] of [
      ["from=2020-01-02&to=2020-01-01", "from"],
      ["from=2020-01-01&to=2021-06-01", "from"],
      ["from=2020-01-01&to=2020-03-01&interval=hour", "from"],
      ["from=yesterday", "from"],
      ["interval=week", "interval"],
      ["key_id=alice", "key_id"],
      ["group_by=tenant", "group_by"],
      ["group_by=metadata.x%22y", "group_by"],
    ]) {
      const res = await call(`/admin/usage?${query}`, { admin: true });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: "invalid_request", param } });
    }
    expect((await call("/admin/usage")).status).toBe(401);
  });
});
