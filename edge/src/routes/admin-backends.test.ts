import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import app from "../index.ts";
import { FAKE_ADAPTERS, FAKE_TINY_DIGESTS } from "../test-support/fake-backends.ts";
import { fleetEnv, post, seedRoomyKey } from "../test-support/fleet.ts";
import { type Envelope, uniquePrompt } from "../test-support/harness.ts";

interface BackendsView {
  fleet: string;
  retry: { attempts: number; budget_tokens_here: number };
  breaker: { failure_threshold: number };
  backends: Array<{
    name: string;
    provider: string;
    region: string;
    priority: number;
    weight: number;
    breaker: { state: string; last_failure: string | null; consecutive_failures: number };
    last_probe: { ok: boolean; status: number | null; detail: string | null } | null;
    versions: Record<string, string> | null;
    load: { queue_depth: number | null; estimated_wait_ms: number | null } | null;
  }>;
}

const token = env.SDGATE_ADMIN_TOKEN ?? "";

function getBackends(testEnv: ReturnType<typeof fleetEnv>, authorization: string | null = `Bearer ${token}`) {
  const headers: Record<string, string> = authorization ? { authorization } : {};
  return Promise.resolve(app.request("/admin/backends", { headers }, testEnv));
}

beforeAll(() => {
  vi.spyOn(console, "warn").mockImplementation(() => {});
});

describe("GET /admin/backends", () => {
  it("shows the registry, each breaker, the last probe and the reported load", async () => {
    const testEnv = fleetEnv(["down", "healthy"]);
    const { key } = await seedRoomyKey();
    expect((await post({ prompt: uniquePrompt(), seed: 1 }, key, testEnv)).status).toBe(200);
    await runDurableObjectAlarm(env.BACKEND_HEALTH.getByName(testEnv.fleet));

    const res = await getBackends(testEnv);
    expect(res.status).toBe(200);
    const view = (await res.json()) as BackendsView;
    expect(view.fleet).toBe(testEnv.fleet);
    expect(view.retry.attempts).toBe(3);
    const [down, healthy] = view.backends;
    expect(down).toMatchObject({
      name: "fake-down",
      priority: 0,
      weight: 1,
      breaker: { state: "open" },
      last_probe: { ok: false, status: null, detail: "connect" },
      versions: null,
      adapters: null,
    });
    expect(healthy).toMatchObject({
      name: "fake-healthy",
      breaker: { state: "closed", consecutive_failures: 0 },
      last_probe: { ok: true, status: 200 },
      load: { queue_depth: 0, estimated_wait_ms: 0 },
      // What its signed status said it holds, read with the probe.
      versions: { tiny: FAKE_TINY_DIGESTS.common },
      adapters: FAKE_ADAPTERS,
    });
  });

  it("is audited as backends.read", async () => {
    const res = await getBackends(fleetEnv(["healthy"]));
    const requestId = res.headers.get("X-Request-Id");
    const row = await env.DB.prepare(
      "SELECT status FROM audit_log WHERE action = 'backends.read' AND json_extract(detail, '$.request_id') = ?",
    )
      .bind(requestId)
      .first<{ status: number }>();
    expect(row?.status).toBe(200);
  });

  it("is closed without the admin token, or with a wrong one (or an API key)", async () => {
    const testEnv = fleetEnv(["healthy"]);
    const { key } = await seedRoomyKey();
    for (const authorization of [null, "Bearer wrong-token", `Bearer ${token}x`, `Bearer ${key}`, token]) {
      const res = await getBackends(testEnv, authorization);
      expect(res.status, String(authorization)).toBe(401);
      const body = (await res.json()) as Envelope;
      expect(JSON.stringify(body)).not.toContain("127.0.0.1");
    }
  });
});
