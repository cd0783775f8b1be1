import { generationResponseSchema, type JobView } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import {
  getJob,
  jobsEnv,
  readEvents,
  request,
  seedJobKey,
  streamCalls,
  streamFakes,
  submit,
  uniqueJobPrompt,
  waitForDeliveries,
  waitForJob,
} from "../test-support/jobs-harness.ts";
import { STREAM_STEP_MS } from "../test-support/stream-fakes.ts";
import { verifyWebhook } from "../webhooks/signature.ts";

describe("async jobs: the happy path", () => {
  it("answers Prefer: respond-async with 202, Location and the queued job, then serves the result", async () => {
    const { key } = await seedJobKey();
    const testEnv = jobsEnv();
    const response = await submit({ prompt: uniqueJobPrompt(), steps: 4, seed: 7, n: 2 }, key, testEnv);
    expect(response.status).toBe(202);
    expect(response.headers.get("preference-applied")).toBe("respond-async");
    expect(response.headers.get("x-async")).toBe("requested");
    const job = (await response.json()) as JobView;
    expect(job.id).toMatch(/^job_[0-9a-f]{32}$/);
    expect(response.headers.get("location")).toBe(`/v1/jobs/${job.id}`);
    expect(job.links.self).toBe(`/v1/jobs/${job.id}`);
    expect(job.status).toBe("queued");
    expect(job.credits).toMatchObject({ charged: null, refunded: null });
    const reserved = job.credits?.reserved ?? 0;
    expect(reserved).toBeGreaterThan(0);

    const done = await waitForJob(job.id, key, testEnv);
    expect(done.status).toBe("succeeded");
    // What ran was charged in full: the reservation, nothing back.
    expect(done.credits).toEqual({ reserved, charged: reserved, refunded: 0 });
    expect(done.backend).toBe("fake-stream");
    expect(done.progress).toMatchObject({ step: 4, steps: 4, fraction: 1 });
    // A job asked for without response_format answers as the synchronous route would: b64_json.
    const result = generationResponseSchema.parse(done.result);
    expect(result.data).toHaveLength(2);
    expect(result.data.map((image) => image.seed)).toEqual([7, 8]);
    expect(result.data[0]?.b64_json.length).toBeGreaterThan(20);
    expect(result.backend).toBe("fake-stream");
  });

  it("streams numbered events in order: attempt, queued 2 → 1, started, every step, succeeded", async () => {
    const { key, id: keyId } = await seedJobKey();
    const testEnv = jobsEnv();
    const prompt = uniqueJobPrompt();
    const response = await submit({ prompt, steps: 5 }, key, testEnv);
    const { id } = (await response.json()) as { id: string };
    const events = await readEvents(id, key, testEnv);
    const progress = Array<string>(5).fill("progress");
    expect(events.map((event) => event.event)).toEqual([
      "attempt",
      "queued",
      "queued",
      "started",
      ...progress,
      "succeeded",
    ]);
    expect(events.map((event) => event.id)).toEqual(events.map((_, index) => String(index + 1)));
    expect(JSON.parse(events[1]?.data ?? "").position).toBe(2);
    expect(JSON.parse(events[2]?.data ?? "").position).toBe(1);
    expect(JSON.parse(events.at(-1)?.data ?? "").status).toBe("succeeded");

    // The backend was asked to stream, under the job's id, for this key, with a deadline, signed.
    const [call] = await streamCalls("stream", prompt);
    expect(call).toMatchObject({ jobId: id, tenant: keyId, signature: "ok", previewEvery: "0" });
    expect(call?.accept).toContain("text/event-stream");
    expect(Number(call?.deadline)).toBeGreaterThan(Date.now());
  });

  it("resumes with Last-Event-ID: a reconnect gets exactly the events it missed, then the live ones", async () => {
    const { key } = await seedJobKey();
    const testEnv = jobsEnv();
    const response = await submit({ prompt: uniqueJobPrompt(), steps: 12 }, key, testEnv);
    const { id } = (await response.json()) as { id: string };
    // The connection drops after three events…
    const first = await readEvents(id, key, testEnv, { stopAfter: 3 });
    expect(first.map((event) => event.id)).toEqual(["1", "2", "3"]);
    // …and the client comes back with the last id it saw, while the job still runs.
    const rest = await readEvents(id, key, testEnv, { lastEventId: 3 });
    expect(rest[0]?.id).toBe("4");
    const all = [...first, ...rest];
    expect(all.map((event) => Number(event.id))).toEqual(all.map((_, index) => index + 1));
    expect(all.filter((event) => event.event === "progress")).toHaveLength(12);
    expect(all.at(-1)?.event).toBe("succeeded");
    // After the end, a reconnect from the middle replays the tail and closes.
    const tail = await readEvents(id, key, testEnv, { lastEventId: all.length - 2 });
    expect(tail.map((event) => event.id)).toEqual([String(all.length - 1), String(all.length)]);
  });

  it("fails over when a backend drops the stream mid-job, and still succeeds", async () => {
    const { key } = await seedJobKey();
    const testEnv = jobsEnv(["streamDrop", "stream"]);
    const prompt = uniqueJobPrompt();
    const { id } = (await (await submit({ prompt, steps: 6 }, key, testEnv)).json()) as { id: string };
    const events = await readEvents(id, key, testEnv);
    const attempts = events
      .filter((event) => event.event === "attempt")
      .map((event) => JSON.parse(event.data));
    expect(attempts).toEqual([
      { attempt: 1, backend: "fake-streamDrop" },
      { attempt: 2, backend: "fake-stream" },
    ]);
    const job = await getJob(id, key, testEnv);
    expect(job).toMatchObject({ status: "succeeded", backend: "fake-stream", attempts: 2 });
    expect(await streamCalls("streamDrop", prompt)).toHaveLength(1);
  });

  it("delivers a signed webhook (Standard Webhooks) when the job ends, retrying a failed delivery", async () => {
    const { key } = await seedJobKey();
    const testEnv = jobsEnv();
    const hook = `flaky-${crypto.randomUUID().slice(0, 8)}`;
    const response = await submit({ prompt: uniqueJobPrompt(), steps: 2 }, key, testEnv, {
      "sdgate-webhook-url": `${streamFakes.webhooks}/hooks/${hook}`,
    });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    const received = await waitForDeliveries(hook, 2);
    expect(received.map((delivery) => delivery.status)).toEqual([503, 204]);
    // Every attempt is the same message: same id, so a receiver can drop duplicates.
    expect(received[0]?.headers["webhook-id"]).toBe(received[1]?.headers["webhook-id"]);
    const secretResponse = await request("GET", "/v1/webhooks/secret", key, testEnv);
    const { key: secret } = (await secretResponse.json()) as { key: string };
    expect(secret).toMatch(/^whsec_/);
    const delivery = received[1];
    if (!delivery) throw new Error("no delivery");
    const headers = new Headers(delivery.headers);
    expect(await verifyWebhook(secret, headers, delivery.body)).toBe(true);
    const body = JSON.parse(delivery.body) as { type: string; data: { id: string; status: string } };
    expect(body.type).toBe("job.succeeded");
    expect(body.data).toMatchObject({ id, status: "succeeded" });
    const job = await waitForJob(id, key, testEnv, (view) => view.webhook?.delivered === true);
    expect(job.webhook).toMatchObject({ delivered: true, attempts: 2 });
  });

  it("links a succeeded job's images in its webhook, signed at delivery, also when nothing is cached", async () => {
    const { key } = await seedJobKey();
    const testEnv = jobsEnv();
    for (const cacheControl of [null, "no-store"]) {
      const hook = `links-${crypto.randomUUID().slice(0, 8)}`;
      const response = await submit({ prompt: uniqueJobPrompt(), steps: 2, n: 2, seed: 11 }, key, testEnv, {
        "sdgate-webhook-url": `${streamFakes.webhooks}/hooks/${hook}`,
        ...(cacheControl === null ? {} : { "cache-control": cacheControl }),
      });
      expect(response.status).toBe(202);
      const [delivery] = await waitForDeliveries(hook, 1);
      const body = JSON.parse(delivery?.body ?? "{}") as {
        data: { status: string; result?: { data: { url: string; seed: number }[]; output_format: string } };
      };
      expect(body.data.status).toBe("succeeded");
      const links = body.data.result?.data ?? [];
      expect(links.map((image) => image.seed)).toEqual([11, 12]);
      expect(JSON.stringify(body)).not.toContain("b64_json");
      for (const link of links) {
        const url = new URL(link.url);
        expect(url.searchParams.get("sig")).toMatch(/^[A-Za-z0-9_-]{43}$/);
        const image = await request("GET", `${url.pathname}${url.search}`, null, testEnv);
        expect(image.status, `${cacheControl ?? "cached"} job: ${url.pathname}`).toBe(200);
        expect(image.headers.get("content-type")).toBe("image/png");
      }
    }
  });

  it("turns a request estimated above SDGATE_AUTO_ASYNC_MS into a job without being asked", async () => {
    const { key } = await seedJobKey();
    const testEnv = jobsEnv(["stream"], { SDGATE_AUTO_ASYNC_MS: "1000" });
    // The isolate learns the backends' step times (an estimate reads /readyz).
    const estimate = await request("POST", "/v1/estimate", key, testEnv, {
      body: { prompt: "warm up", size: "512x512", steps: 10 },
    });
    expect(((await estimate.json()) as { async: boolean }).async).toBe(true);
    // 10 steps at 150 ms + 250 ms queue: 1.75 s > 1 s.
    const long = await request("POST", "/v1/images/generations", key, testEnv, {
      body: { prompt: uniqueJobPrompt(), size: "512x512", steps: 10 },
    });
    expect(long.status).toBe(202);
    expect(long.headers.get("x-async")).toBe("auto");
    expect(long.headers.get("preference-applied")).toBeNull();
    expect(long.headers.get("location")).toMatch(/^\/v1\/jobs\/job_/);
    // 2 steps at 40 ms + 250 ms: answered at once.
    const short = await request("POST", "/v1/images/generations", key, testEnv, {
      body: { prompt: uniqueJobPrompt(), size: "256x256", steps: 2 },
    });
    expect(short.status).toBe(200);
    expect(((await short.json()) as { data: unknown[] }).data).toHaveLength(1);
    expect(STREAM_STEP_MS).toBeGreaterThan(0);
  });
});
