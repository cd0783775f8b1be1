import { env } from "cloudflare:workers";
import { exampleResolvedRequest } from "@sdgate/shared/testing";
import { describe, expect, it } from "vitest";
import { AUDIT_LOG_NAME } from "../audit/index.ts";
import { call, createKey } from "../keys/testing.ts";
import { recordRun, runRowOf } from "../runs/store.ts";
import { auditGeneration } from "../test-support/audit-entries.ts";

const TIMINGS_MS = { text_encode: 20, denoise: 700, decode: 60, image_encode: 20, total: 800 };

/** A generation audited at `at` that answered in `latencyMs`, and its run (with the engine's timings when `timed`). */
async function generation(keyId: string, at: string, latencyMs: number, timed: boolean) {
  const id = `req_${crypto.randomUUID()}`;
  const resolved = exampleResolvedRequest();
  await recordRun(
    env.DB,
    runRowOf(resolved, {
      id,
      // a text-to-image request: no input images to refer to
      request: { ...resolved },
      keyId,
      teamId: null,
      status: "succeeded",
      cost: 10,
      latency_ms: latencyMs,
      backend: "fake",
      error_code: null,
      tenant_tag: "t",
      cache_key: crypto.randomUUID(),
      experiment_id: null,
      at: new Date(at),
      ...(timed ? { ran: { engineVersion: "sdgate-engine/3", timingsMs: TIMINGS_MS } } : {}),
    }),
  );
  return auditGeneration(keyId, at, {
    latency_ms: latencyMs,
    detail: JSON.stringify({ cache: "MISS", request_id: id }),
  });
}

describe("GET /admin/usage's GPU-seconds", () => {
  it("count the engine's measured time where the run kept it, and the time to answer for older runs", async () => {
    const { id } = await createKey({ name: "usage-gpu-time" });
    await env.AUDIT_LOG.getByName(AUDIT_LOG_NAME).appendAll([
      // 5 s to answer, 4.2 s of it queued: the engine measured 0.8 s
      await generation(id, "2020-02-01T10:00:00.000Z", 5000, true),
      // a run from before the engine's timings were kept: its 3 s to answer, queue included
      await generation(id, "2020-02-01T11:00:00.000Z", 3000, false),
    ]);
    const res = await call(`/admin/usage?key_id=${id}&from=2020-02-01&to=2020-02-02`, { admin: true });
    expect(res.status).toBe(200);
    const report = (await res.json()) as { totals: { gpu_seconds: number; mean_latency_ms: number } };
    expect(report.totals).toMatchObject({ gpu_seconds: 3.8, mean_latency_ms: 4000 });
  });
});
