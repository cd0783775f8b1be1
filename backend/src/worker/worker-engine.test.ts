import { createHash } from "node:crypto";
import type { AddressInfo } from "node:net";
import { type ServerType, serve } from "@hono/node-server";
import { type BackendGenerateResponse, MemoryNonceStore } from "@sdgate/shared";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { tinyModelDir } from "../engine/test-models.ts";
import { silentLogger } from "../logger.ts";
import { ServingMetrics } from "../metrics/metrics.ts";
import { createBackendApp } from "../server/app.ts";
import {
  appOnEngine,
  BACKEND_NAME,
  GENERATE,
  keyring,
  parseSse,
  request,
  signed,
} from "../server/test-app.ts";
import { Dispatcher } from "../serving/dispatcher.ts";
import { WorkerEngine } from "./worker-engine.ts";

let engine: WorkerEngine;
let server: ServerType;
let base: string;

beforeAll(async () => {
  engine = await WorkerEngine.start({
    models: { tiny: await tinyModelDir() },
    executionProviders: ["cpu"],
    maxBatch: 4,
  });
  const app = appOnEngine(engine);
  await new Promise<void>((resolve) => {
    server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, () => resolve());
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await engine.close();
});

const post = async (overrides: Partial<typeof request>, headers: Record<string, string> = {}) =>
  fetch(`${base}${GENERATE}`, {
    ...(await signed(GENERATE, JSON.stringify({ ...request, ...overrides }), headers)),
    signal: AbortSignal.timeout(30_000),
  });

/** Long enough on the tiny model (~25 ms a step at 256×256 on a CPU) to probe the server mid-run. */
const LONG = { width: 256, height: 256, steps: 40 };

describe("the engine in a worker thread", () => {
  it("leaves /healthz, /readyz and /metrics answering in under 100 ms while it generates", async () => {
    const stream = await post(LONG, { accept: "text/event-stream", "x-sdgate-job-id": "busy" });
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    let text = "";
    while (!text.includes("event: progress")) text += new TextDecoder().decode((await reader.read()).value);
    const latenciesMs: number[] = [];
    for (const path of ["/healthz", "/readyz", "/metrics", "/healthz", "/readyz", "/metrics"]) {
      const startedMs = performance.now();
      const response = await fetch(`${base}${path}`);
      await response.text();
      latenciesMs.push(performance.now() - startedMs);
      if (path === "/readyz") expect(response.headers.get("x-queue-depth")).toBe("0");
    }
    // Each answer is a few ms on an idle machine; the bound leaves room for a busy one, and is far
    // below the run's seconds that an engine on the HTTP thread would block for.
    expect(Math.max(...latenciesMs)).toBeLessThan(100);
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      text += new TextDecoder().decode(chunk.value);
    }
    const events = parseSse(text);
    expect(events.at(-1)?.event).toBe("result");
    // Real previews: JPEGs of the latents, 1/8 of the image's size.
    const previews = events.flatMap((e) =>
      e.event === "progress" && (e.data as { preview?: unknown }).preview ? [e.data] : [],
    );
    expect(previews).toHaveLength(4);
    expect(previews[0]).toMatchObject({ preview: { format: "jpeg", width: 32, height: 32 } });
  });

  it("reports the worker thread's own JavaScript heap for /metrics", async () => {
    const metrics = new ServingMetrics({ defaultMetrics: false });
    metrics.readEngineHeapWith(() => engine.heapUsedBytes());
    const text = await metrics.registry.metrics();
    const bytes = Number(/^sdgate_engine_heap_used_bytes (\S+)$/m.exec(text)?.[1]);
    // A worker with onnxruntime sessions and the tokenizer loaded: megabytes, not zero, not gigabytes.
    expect(bytes).toBeGreaterThan(2 ** 20);
    expect(bytes).toBeLessThan(2 ** 30);
  });

  it("frees the engine within a step of a cancel, and the next job starts", async () => {
    const long = await post(
      { ...LONG, steps: 1000 },
      { accept: "text/event-stream", "x-sdgate-job-id": "to-cancel" },
    );
    const next = post({}, { accept: "text/event-stream", "x-sdgate-job-id": "next" });
    // Cancel once the job is really on the engine (a fixed sleep raced a busy machine's queue).
    const reader = (long.body as ReadableStream<Uint8Array>).getReader();
    let text = "";
    while (!text.includes("event: progress")) text += new TextDecoder().decode((await reader.read()).value);
    const cancelPath = "/internal/v1/jobs/to-cancel/cancel";
    const startedMs = performance.now();
    const cancel = await fetch(`${base}${cancelPath}`, await signed(cancelPath, ""));
    expect(await cancel.json()).toEqual({ job_id: "to-cancel", status: "cancelling" });
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      text += new TextDecoder().decode(chunk.value);
    }
    const cancelledAfterMs = performance.now() - startedMs;
    const end = parseSse(text).at(-1);
    expect(end?.event).toBe("error");
    expect(end?.data).toMatchObject({ error: { code: "cancelled" } });
    const events = parseSse(await (await next).text());
    expect(events.map((e) => e.event)).toContain("started");
    expect(events.at(-1)?.event).toBe("result");
    // A 256×256 step takes tens of ms; a whole run of 1000 steps would take many seconds.
    expect(cancelledAfterMs).toBeLessThan(1000);
  });
});

describe("a worker the watchdog gives up on", () => {
  it("runs the safety check in the worker and returns each image's decision over HTTP", async () => {
    const response = await post({ width: 64, height: 64, steps: 2, n: 2, safety_check: "block" });
    expect(response.status).toBe(200);
    const body = (await response.json()) as BackendGenerateResponse;
    expect(body.timings_ms.safety_check).toBeGreaterThan(0);
    for (const image of body.images) {
      // the tiny model's checker passes its images, so each is sent as generated
      expect(image.safety).toEqual({
        outcome: "passed",
        concepts: [],
        special_care: false,
        image_sha256: createHash("sha256").update(Buffer.from(image.b64, "base64")).digest("hex"),
      });
    }
  });

  it("is stopped mid-run without taking the process down, and replaced by a fresh worker with the same models; /readyz is 503 until it is ready", async () => {
    const models = { tiny: await tinyModelDir() };
    const start = () => WorkerEngine.start({ models, executionProviders: ["cpu"], maxBatch: 1 });
    const first = await start();
    const metrics = new ServingMetrics({ defaultMetrics: false });
    const dispatcher = new Dispatcher({
      engine: first,
      queueSize: 4,
      maxBatch: 1,
      metrics,
      logger: silentLogger,
      restartEngine: start,
      watchdog: { graceMs: 20, stallFactor: 2 },
    });
    const app = createBackendApp({
      name: BACKEND_NAME,
      keyring,
      nonces: new MemoryNonceStore(),
      readiness: { state: "ready" },
      serving: () => dispatcher,
      metrics,
      logger: silentLogger,
      defaultDeadlineMs: 60_000,
      previewEverySteps: 0,
    });
    // Step times as if measured on a far faster device: the real worker, a thousand times slower
    // than its budget, looks exactly like one stuck in a native call.
    dispatcher.stepTimes.record("tiny", 256, 256, 0.01);
    try {
      const response = await app.request(
        GENERATE,
        await signed(GENERATE, JSON.stringify({ ...request, ...LONG })),
      );
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ error: { code: "backend_unavailable" } });
      const restarting = await app.request("/readyz");
      expect(restarting.status).toBe(503);
      expect(await restarting.json()).toMatchObject({ status: "restarting" });
      await vi.waitFor(async () => expect((await app.request("/readyz")).status).toBe(200), {
        timeout: 30_000,
        interval: 50,
      });
      // the old worker stopped (its run cancelled, its models released) before the new one started
      await expect(first.heapUsedBytes()).rejects.toThrow();
      const fresh = dispatcher.engine as WorkerEngine;
      expect(fresh).not.toBe(first);
      expect(fresh.models.map((model) => model.id)).toEqual(["tiny"]);
      const outcomes: boolean[] = [];
      await fresh.run(
        [{ id: "after", request: { ...request, steps: 2 }, previewEverySteps: 0, inputs: {} }],
        {
          onProgress: () => undefined,
          onDone: (_id, outcome) => outcomes.push(outcome.ok),
        },
      );
      expect(outcomes).toEqual([true]);
      expect(await metrics.registry.metrics()).toMatch(
        /^sdgate_engine_restarts_total\{cause="stalled"\} 1$/m,
      );
    } finally {
      await dispatcher.engine.close();
    }
  });
});
