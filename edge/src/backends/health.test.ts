import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { fakes } from "../test-support/harness.ts";
import { breakerPolicySchema } from "./breaker.ts";
import { type HealthRpc, HealthView } from "./health.ts";
import type { Backend } from "./registry.ts";

const policy = breakerPolicySchema.parse({});

function fleet() {
  const name = `health-${crypto.randomUUID().slice(0, 8)}`;
  const pools: Backend[] = [
    { name: "down", url: fakes.urls.down, provider: "a", region: "local", priority: 0 },
    { name: "healthy", url: fakes.urls.healthy, provider: "b", region: "local", priority: 1 },
  ];
  const rpc = () => env.BACKEND_HEALTH.getByName(name) as unknown as HealthRpc;
  return { name, pools, rpc };
}

const inline = (promise: Promise<unknown>) => void promise;

describe("shared backend health", () => {
  it("a failure seen by one isolate makes every other isolate skip the backend within a second", async () => {
    const { pools, rpc } = fleet();
    // Two views of one fleet: what two isolates of the Worker each hold.
    const [first, second] = [new HealthView(rpc, policy), new HealthView(rpc, policy)];
    await first.prepare(pools, Date.now(), inline);
    await second.prepare(pools, Date.now(), inline);
    expect(second.admission("down", Date.now()).kind).toBe("yes");

    const failedAtMs = Date.now();
    await first.record(
      "down",
      { ok: false, failure: { hard: true, description: "connect", retryAfterMs: null } },
      failedAtMs,
    );
    expect(first.admission("down", Date.now()).kind).toBe("no");
    while (second.admission("down", Date.now()).kind !== "no") {
      expect(Date.now() - failedAtMs).toBeLessThan(1_000);
      await second.prepare(pools, Date.now(), inline);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(Date.now() - failedAtMs).toBeLessThan(1_000);
  });

  it("grants the half-open probe to one isolate only", async () => {
    const { pools, rpc } = fleet();
    const short = breakerPolicySchema.parse({ cooldown_ms: 10 });
    const views = [new HealthView(rpc, short), new HealthView(rpc, short), new HealthView(rpc, short)];
    for (const view of views) await view.prepare(pools, Date.now(), inline);
    await views[0]?.record(
      "down",
      { ok: false, failure: { hard: true, description: "connect", retryAfterMs: null } },
      Date.now(),
    );
    await new Promise((resolve) => setTimeout(resolve, 30));
    const grants = await Promise.all(views.map((view) => view.takeProbe("down", Date.now())));
    expect(grants.filter(Boolean)).toHaveLength(1);
  });

  it("tells what the backends taking traffic report a model to be, past forgotten adapters", async () => {
    const { pools, rpc } = fleet();
    const view = new HealthView(rpc, policy);
    await view.refreshVersions(pools, Date.now());
    expect(view.architecturesOf(pools, "fake-xl", Date.now())).toEqual({ healthy: "sdxl" });
    expect(view.knowsOf("down", "fake-xl")).toBe(false);
    view.forgetAdapters("healthy");
    expect(view.architecturesOf(pools, "fake-xl", Date.now())).toEqual({ healthy: "sdxl" });
    const failure = { hard: true, description: "connect", retryAfterMs: null };
    await view.record("healthy", { ok: false, failure }, Date.now());
    expect(view.architecturesOf(pools, "fake-xl", Date.now())).toEqual({});
  });

  it("probes every backend's /readyz from its alarm, and keeps probing", async () => {
    const { name, pools } = fleet();
    const stub = env.BACKEND_HEALTH.getByName(name);
    await stub.sync(pools, policy, {});
    expect((await stub.describe()).nextProbeAtMs).toBeGreaterThan(Date.now() + 5_000);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const snapshot = await stub.describe();
    expect(snapshot.probes.healthy).toMatchObject({ ok: true, status: 200 });
    expect(snapshot.probes.down).toMatchObject({ ok: false, status: null, detail: "connect" });
    expect(snapshot.states.down?.mode).toBe("open");
    expect(snapshot.states.healthy?.mode ?? "closed").toBe("closed");
    expect(snapshot.nextProbeAtMs).not.toBeNull();
  });
});
