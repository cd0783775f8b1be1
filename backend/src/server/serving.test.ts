import {
  BACKEND_STATUS_PATH,
  backendGenerateResponseSchema,
  backendStatusSchema,
  errorEnvelopeSchema,
  GENERATE_EVENTS,
  generateEventSchemas,
  readyzBodySchema,
} from "@sdgate/shared";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { enqueue, generateInit, parseSse, setupApp, signed } from "./test-app.ts";

const SSE = { accept: "text/event-stream" };
const errorOf = async (response: Response) => errorEnvelopeSchema.parse(await response.json()).error;

describe("serving: a bounded queue", () => {
  it("answers 429 with Retry-After and the queue position once the queue is full", async () => {
    const { app } = setupApp({ queueSize: 1, stepMs: 20 });
    const running = app.request("/internal/v1/generate", await generateInit());
    await new Promise((resolve) => setTimeout(resolve, 5));
    const queued = app.request("/internal/v1/generate", await generateInit({ seed: 4 }));
    await new Promise((resolve) => setTimeout(resolve, 5));
    const refused = await app.request("/internal/v1/generate", await generateInit({ seed: 5 }));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get("x-queue-position")).toBe("2");
    expect(refused.headers.get("x-queue-depth")).toBe("1");
    expect(Number(refused.headers.get("x-estimated-wait-ms"))).toBeGreaterThan(0);
    expect(await errorOf(refused)).toMatchObject({ code: "rate_limited" });
    expect((await running).status).toBe(200);
    expect((await queued).status).toBe(200);
  });

  it("serves API keys in turn: a key's burst does not starve another key", async () => {
    const setup = setupApp({ queueSize: 16, stepMs: 2 });
    const tenant = (key: string, id: string) => ({ "x-sdgate-tenant": key, "x-sdgate-job-id": id });
    // A long job holds the engine while the others queue; cancelling it lets them run.
    const pending = [await enqueue(setup, await generateInit({ steps: 10_000 }, tenant("key_z", "z1")))];
    for (const i of [1, 2, 3, 4, 5])
      pending.push(await enqueue(setup, await generateInit({ seed: i }, tenant("key_a", `a${i}`))));
    pending.push(await enqueue(setup, await generateInit({ seed: 9 }, tenant("key_b", "b1"))));
    setup.dispatcher.cancel("z1", "cancelled");
    await Promise.all(pending.map((p) => p.response));
    expect(setup.engine.batches.flat()).toEqual(["z1", "a1", "b1", "a2", "a3", "a4", "a5"]);
  });

  it("batches compatible requests up to the batch size", async () => {
    const setup = setupApp({ maxBatch: 3, stepMs: 5 });
    const pending = [
      await enqueue(setup, await generateInit({ steps: 10_000 }, { "x-sdgate-job-id": "j0" })),
    ];
    for (const [i, id] of ["j1", "j2", "j3", "j4", "j5"].entries()) {
      const size = id === "j3" ? { width: 128 } : {};
      pending.push(await enqueue(setup, await generateInit({ seed: i, ...size }, { "x-sdgate-job-id": id })));
    }
    setup.dispatcher.cancel("j0", "cancelled");
    const all = await Promise.all(pending.map((p) => p.response));
    expect(all.map((r) => r.status)).toEqual([409, 200, 200, 200, 200, 200]);
    expect(setup.engine.batches).toEqual([["j0"], ["j1", "j2", "j4"], ["j3"], ["j5"]]);
  });
});

describe("serving: cancellation and deadlines", () => {
  it("cancels a running job from the cancel endpoint, freeing the slot for the next job within a step", async () => {
    const { app, engine } = setupApp({ stepMs: 10 });
    const longJob = app.request(
      "/internal/v1/generate",
      await generateInit({ steps: 500 }, { "x-sdgate-job-id": "long" }),
    );
    const next = app.request(
      "/internal/v1/generate",
      await generateInit({}, { ...SSE, "x-sdgate-job-id": "next" }),
    );
    await new Promise((resolve) => setTimeout(resolve, 30));
    const startedMs = performance.now();
    const cancel = await app.request(
      "/internal/v1/jobs/long/cancel",
      await signed("/internal/v1/jobs/long/cancel", ""),
    );
    expect(cancel.status).toBe(200);
    expect(await cancel.json()).toEqual({ job_id: "long", status: "cancelling" });
    const cancelled = await longJob;
    expect(cancelled.status).toBe(409);
    expect((await errorOf(cancelled)).message).toMatch(/cancelled/);
    const events = parseSse(await (await next).text());
    expect(events.at(-1)?.event).toBe("result");
    // Freed within about one step of the fake engine (10 ms), plus the next job's 4 steps.
    expect(performance.now() - startedMs).toBeLessThan(250);
    expect(engine.batches).toEqual([["long"], ["next"]]);
    const unknown = await app.request(
      "/internal/v1/jobs/long/cancel",
      await signed("/internal/v1/jobs/long/cancel", ""),
    );
    expect(unknown.status).toBe(404);
  });

  it("cancels a job whose client disconnects", async () => {
    const { app, engine } = setupApp({ stepMs: 10 });
    const controller = new AbortController();
    // No job id: a synchronous request, which nobody can ask for again.
    const init = await generateInit({ steps: 500 });
    const pending = app.request(
      new Request("http://backend/internal/v1/generate", { ...init, signal: controller.signal }),
    );
    await new Promise((resolve) => setTimeout(resolve, 30));
    controller.abort();
    await Promise.resolve(pending).catch(() => undefined);
    const startedMs = Date.now();
    const after = await app.request(
      "/internal/v1/generate",
      await generateInit({}, { "x-sdgate-job-id": "after" }),
    );
    expect(after.status).toBe(200);
    expect(Date.now() - startedMs).toBeLessThan(1_000);
    expect(engine.batches.at(-1)).toEqual(["after"]);
  });

  it("gives up on a job past its deadline, running or queued, with a 504", async () => {
    const { app } = setupApp({ stepMs: 10 });
    const deadline = String(Date.now() + 60);
    const running = app.request(
      "/internal/v1/generate",
      await generateInit({ steps: 500 }, { "x-sdgate-deadline": deadline }),
    );
    const queued = app.request(
      "/internal/v1/generate",
      await generateInit({ steps: 500 }, { "x-sdgate-deadline": deadline }),
    );
    const startedMs = performance.now();
    const [a, b] = await Promise.all([running, queued]);
    expect([a.status, b.status]).toEqual([504, 504]);
    expect((await errorOf(a)).message).toMatch(/deadline/);
    expect((await errorOf(b)).message).toMatch(/deadline while queued/);
    expect(performance.now() - startedMs).toBeLessThan(200);
    const past = await app.request(
      "/internal/v1/generate",
      await generateInit({}, { "x-sdgate-deadline": "1000" }),
    );
    expect(past.status).toBe(504);
    const bad = await app.request(
      "/internal/v1/generate",
      await generateInit({}, { "x-sdgate-deadline": "soon" }),
    );
    expect(await errorOf(bad)).toMatchObject({ code: "invalid_request", param: "x-sdgate-deadline" });
  });
});

describe("serving: input images", () => {
  const png = async () =>
    (
      await sharp({ create: { width: 80, height: 80, channels: 3, background: "#3264c8" } })
        .png()
        .toBuffer()
    ).toString("base64");

  it("are decoded on arrival, before the job is queued: the engine gets RGB at the request's size", async () => {
    const { app, engine } = setupApp();
    const image = await png();
    const response = await app.request(
      "/internal/v1/generate",
      await generateInit({ image, mask: image, strength: 0.5 }, { "x-sdgate-job-id": "img2img" }),
    );
    expect(response.status).toBe(200);
    const inputs = engine.inputs.get("img2img");
    expect([inputs?.image?.width, inputs?.image?.height, inputs?.mask?.rgb.length]).toEqual([
      64,
      64,
      64 * 64 * 3,
    ]);
  });

  it("that cannot be used are a 400 naming the field, and never reach the queue", async () => {
    const { app, engine } = setupApp();
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>').toString(
      "base64",
    );
    const response = await app.request(
      "/internal/v1/generate",
      await generateInit({ image: await png(), mask: svg, strength: 0.5 }),
    );
    expect(response.status).toBe(400);
    expect(await errorOf(response)).toMatchObject({ code: "invalid_request", param: "mask" });
    expect(engine.batches).toEqual([]);
  });

  it("are not decoded when the queue has no room anyway", async () => {
    const setup = setupApp({ queueSize: 1, stepMs: 20 });
    const running = await enqueue(setup, await generateInit({ steps: 10 }));
    const queued = await enqueue(setup, await generateInit({ seed: 4 }));
    const unreadable = Buffer.from("not an image").toString("base64");
    // A full queue answers 429 before the (unreadable) image is looked at.
    const refused = await setup.app.request(
      "/internal/v1/generate",
      await generateInit({ image: unreadable, strength: 0.5 }),
    );
    expect(refused.status).toBe(429);
    await Promise.all([running.response, queued.response]);
  });
});

describe("serving: an engine that hangs", () => {
  it("fails the stuck job with a 503, replaces the engine with /readyz at 503 meanwhile, then serves the queue", async () => {
    const setup = setupApp({ stepMs: 2, restartMs: 400, watchdog: { graceMs: 60, stallFactor: 5 } });
    const { app, engine, metrics } = setup;
    // A job measures this model's step times: from now on a silent engine counts as stalled.
    expect((await app.request("/internal/v1/generate", await generateInit())).status).toBe(200);
    engine.hangOnPrompt = "hang";
    const stuck = await enqueue(
      setup,
      await generateInit({ prompt: "hang" }, { "x-sdgate-job-id": "stuck" }),
    );
    const waiting = await enqueue(setup, await generateInit({ seed: 8 }, { "x-sdgate-job-id": "waiting" }));
    const startedMs = performance.now();
    const failed = await stuck.response;
    expect(failed.status).toBe(503);
    const error = await errorOf(failed);
    expect(error.code).toBe("backend_unavailable");
    expect(error.message).toMatch(/engine stopped responding/);
    // about the stall budget (5 × a few ms + 60 ms), nowhere near the job's 60 s deadline
    expect(performance.now() - startedMs).toBeLessThan(1_000);

    const readyz = await app.request("/readyz");
    expect(readyz.status).toBe(503);
    expect(await readyz.json()).toMatchObject({ status: "restarting" });
    const refused = await app.request("/internal/v1/generate", await generateInit({ seed: 9 }));
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("5");
    const metricsText = await metrics.registry.metrics();
    expect(metricsText).toMatch(/^sdgate_engine_restarts_total\{cause="stalled"\} 1$/m);
    expect(metricsText).toMatch(/^sdgate_engine_ready 0$/m);

    // the job that was queued behind the hung one runs on the new engine
    expect((await waiting.response).status).toBe(200);
    expect(engine.closes).toBe(1);
    expect((await app.request("/readyz")).status).toBe(200);
    expect(await metrics.registry.metrics()).toMatch(/^sdgate_engine_ready 1$/m);
  });

  it("with no step times measured yet, gives up at the job's deadline plus the grace, with a 504", async () => {
    const { app, engine } = setupApp({ stepMs: 2, watchdog: { graceMs: 50, stallFactor: 5 } });
    engine.hangOnPrompt = "hang";
    const startedMs = performance.now();
    const response = await app.request(
      "/internal/v1/generate",
      await generateInit({ prompt: "hang" }, { "x-sdgate-deadline": String(Date.now() + 100) }),
    );
    expect(response.status).toBe(504);
    expect((await errorOf(response)).message).toMatch(/deadline and the engine did not stop/);
    expect(performance.now() - startedMs).toBeGreaterThanOrEqual(140);
    expect(engine.closes).toBe(1);
  });
});

describe("serving: progress as server-sent events", () => {
  it("streams queued, started, progress with previews, then the result, each valid by the schemas", async () => {
    const { app } = setupApp({ stepMs: 5 });
    const first = app.request("/internal/v1/generate", await generateInit({ steps: 3 }));
    const response = await app.request("/internal/v1/generate", await generateInit({}, SSE));
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const events = parseSse(await response.text());
    const progress = Array<string>(4).fill("progress");
    expect(events.map((e) => e.event)).toEqual(["queued", "started", ...progress, "result"]);
    expect(events.map((e) => e.id)).toEqual(["1", "2", "3", "4", "5", "6", "7"]);
    for (const { event, data } of events) {
      expect(GENERATE_EVENTS).toContain(event);
      generateEventSchemas[event as keyof typeof generateEventSchemas].parse(data);
    }
    expect(events[0]?.data).toMatchObject({ position: 1 });
    expect(events[3]?.data).toMatchObject({ step: 2, steps: 4, preview: { format: "jpeg" } });
    expect(events[2]?.data).not.toHaveProperty("preview");
    backendGenerateResponseSchema.parse(events.at(-1)?.data);
    await first;
  });

  it("ends the stream with an error event carrying the envelope", async () => {
    const { app } = setupApp({ stepMs: 5 });
    const response = await app.request(
      "/internal/v1/generate",
      await generateInit({ steps: 500 }, { ...SSE, "x-sdgate-deadline": String(Date.now() + 40) }),
    );
    const events = parseSse(await response.text());
    expect(events.at(-1)?.event).toBe("error");
    expect(errorEnvelopeSchema.parse(events.at(-1)?.data).error.code).toBe("timeout");
  });
});

describe("serving: load reporting and metrics", () => {
  it("reports load in /readyz and on every response, and per-step times only to a signed caller", async () => {
    const { app } = setupApp({ stepMs: 5 });
    const health = await app.request("/healthz");
    expect(health.headers.get("x-queue-depth")).toBe("0");
    expect(health.headers.get("x-estimated-wait-ms")).toBe("0");
    await app.request("/internal/v1/generate", await generateInit());
    const readyz = await app.request("/readyz");
    expect(readyzBodySchema.strict().parse(await readyz.json())).toEqual({
      status: "ready",
      queue_depth: 0,
      in_flight: 0,
      estimated_wait_ms: 0,
    });
    const status = await app.request(BACKEND_STATUS_PATH, await signed(BACKEND_STATUS_PATH, null));
    expect(status.status).toBe(200);
    const body = backendStatusSchema.parse(await status.json());
    expect(body).toMatchObject({ status: "ready", models: ["tiny"], queue_size: 8, max_batch: 1 });
    expect(body.step_ms.tiny?.["64x64"]).toBeGreaterThan(0);
    expect((await app.request(BACKEND_STATUS_PATH)).status).toBe(401);
  });

  it("exposes Prometheus metrics that parse and move with traffic", async () => {
    const { app } = setupApp();
    const scrape = async () => {
      const response = await app.request("/metrics");
      expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
      return parseExposition(await response.text());
    };
    const before = await scrape();
    expect(before.get("sdgate_images_total")).toBe(0);
    await app.request("/internal/v1/generate", await generateInit({ n: 2 }));
    await app.request("/internal/v1/generate", await generateInit({ width: 63 }));
    const after = await scrape();
    expect(after.get("sdgate_images_total")).toBe(2);
    expect(after.get("sdgate_steps_total")).toBe(8);
    expect(after.get('sdgate_requests_total{status="200"}')).toBe(1);
    expect(after.get('sdgate_requests_total{status="400"}')).toBe(1);
    expect(after.get("sdgate_queue_wait_seconds_count")).toBe(1);
    expect(after.get('sdgate_stage_duration_seconds_count{stage="denoise"}')).toBe(1);
    expect(after.get("sdgate_queue_depth")).toBe(0);
  });
});

/** The Prometheus text format: `name{labels} value` per sample, `#` lines are help and type. */
function parseExposition(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (match === null) throw new Error(`not an exposition line: ${line}`);
    samples.set(match[1] as string, Number(match[2]));
  }
  return samples;
}

describe("serving: a job the edge asks for again under its id", () => {
  const hangUpAfter = async (app: ReturnType<typeof setupApp>["app"], init: RequestInit, ms: number) => {
    const controller = new AbortController();
    const pending = app.request(
      new Request("http://backend/internal/v1/generate", { ...init, signal: controller.signal }),
    );
    await new Promise((resolve) => setTimeout(resolve, ms));
    controller.abort();
    await Promise.resolve(pending).catch(() => undefined);
  };

  it("runs on when its caller hangs up, and is handed over, not run again, when asked for again", async () => {
    const { app, engine } = setupApp({ stepMs: 5 });
    const headers = { ...SSE, "x-sdgate-job-id": "job_resume", "x-sdgate-tenant": "key_a" };
    await hangUpAfter(app, await generateInit({ steps: 40 }, headers), 30);
    const again = await app.request("/internal/v1/generate", await generateInit({ steps: 40 }, headers));
    const events = parseSse(await again.text());
    expect(events.at(-1)?.event).toBe("result");
    expect(engine.batches).toEqual([["job_resume"]]);
  });

  it("hands back how a job ended, for a while, to the same tenant with the same request only", async () => {
    const { app, engine } = setupApp({ stepMs: 1 });
    const headers = { "x-sdgate-job-id": "job_done", "x-sdgate-tenant": "key_a" };
    const first = await app.request("/internal/v1/generate", await generateInit({ steps: 3 }, headers));
    const again = await app.request("/internal/v1/generate", await generateInit({ steps: 3 }, headers));
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(await first.json());
    expect(engine.batches).toEqual([["job_done"]]);
    // Another tenant, or another request, under the same id is a job of its own.
    const other = { ...headers, "x-sdgate-tenant": "key_b" };
    expect((await app.request("/internal/v1/generate", await generateInit({ steps: 3 }, other))).status).toBe(
      200,
    );
    expect(
      (await app.request("/internal/v1/generate", await generateInit({ steps: 4 }, headers))).status,
    ).toBe(200);
    expect(engine.batches).toHaveLength(3);
  });

  it("is cancelled once nobody asked for it again within the grace", async () => {
    const { app, engine } = setupApp({ stepMs: 10, resumeGraceMs: 50 });
    await hangUpAfter(app, await generateInit({ steps: 500 }, { "x-sdgate-job-id": "job_left" }), 30);
    await new Promise((resolve) => setTimeout(resolve, 120));
    const startedMs = Date.now();
    const next = await app.request(
      "/internal/v1/generate",
      await generateInit({}, { "x-sdgate-job-id": "job_next" }),
    );
    expect(next.status).toBe(200);
    expect(Date.now() - startedMs).toBeLessThan(1_000);
    expect(engine.batches).toEqual([["job_left"], ["job_next"]]);
  });
});
