import type { ServerResponse } from "node:http";
import { formatSse } from "@sdgate/shared";
import { afterEach, describe, expect, it } from "vitest";
import { Sdgate } from "../client.ts";
import { SdgateApiError } from "../errors/api-error.ts";
import { SdgateConnectionError } from "../errors/connection-error.ts";
import {
  envelope,
  type FakeHandler,
  type FakeServer,
  fakeServer,
  generationBody,
  jobView,
  json,
  type SeenRequest,
} from "../test-support/fake-server.ts";
import type { JobEvent } from "./job-events.ts";

const ID = "job_0123456789abcdef0123456789abcdef";

let server: FakeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function clientFor(handler: FakeHandler, maxRetries = 2) {
  server = await fakeServer(handler);
  return new Sdgate({ baseUrl: server.url, apiKey: "sk_test", maxRetries });
}

const PROGRESS = (step: number) => ({ step, steps: 4, image: 0, images: 1, eta_ms: 10, fraction: step / 4 });
const RUNNING = jobView(ID, { status: "running", backend: "local-a", attempts: 1 });
const SUCCEEDED = jobView(ID, {
  status: "succeeded",
  backend: "local-a",
  attempts: 1,
  progress: PROGRESS(4),
});

/** The edge's stream, numbered from 1 (edge/src/jobs/generation-job.ts emits these, in this order). */
const STREAM: Array<{ event: string; data: unknown }> = [
  { event: "attempt", data: { attempt: 1, backend: "local-a" } },
  { event: "queued", data: { position: 1, estimated_wait_ms: 0 } },
  { event: "started", data: { backend: "local-a", batch_size: 1, queue_wait_ms: 3 } },
  { event: "progress", data: PROGRESS(1) },
  { event: "progress", data: PROGRESS(2) },
  { event: "progress", data: PROGRESS(3) },
  { event: "succeeded", data: SUCCEEDED },
];

function openStream(response: ServerResponse): void {
  response.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
  });
}

/** Writes the stream's events after `afterId` up to and including `throughId`. */
function send(response: ServerResponse, afterId: number, throughId: number): void {
  for (let id = afterId + 1; id <= Math.min(throughId, STREAM.length); id++) {
    const { event, data } = STREAM[id - 1] as { event: string; data: unknown };
    response.write(formatSse({ id, event, data: JSON.stringify(data) }));
  }
}

function lastEventId(request: SeenRequest): number {
  return Number(request.headers["last-event-id"] ?? 0);
}

async function collect(events: AsyncIterable<JobEvent>): Promise<JobEvent[]> {
  const seen: JobEvent[] = [];
  for await (const event of events) seen.push(event);
  return seen;
}

function isEventsPath(request: SeenRequest): boolean {
  return request.path === `/v1/jobs/${ID}/events`;
}

describe("a job's events", () => {
  it("resumes a stream that drops mid-way with Last-Event-ID, missing and repeating nothing", async () => {
    const client = await clientFor((request, response, index) => {
      openStream(response);
      if (index === 0) {
        send(response, 0, 4);
        // The connection breaks mid-stream: no terminating chunk.
        setTimeout(() => response.socket?.destroy(), 20);
        return;
      }
      send(response, lastEventId(request), STREAM.length);
      response.end();
    });
    const events = await collect(client.jobs.events(ID));
    expect(events.map((event) => `${event.id} ${event.type}`)).toEqual([
      "1 attempt",
      "2 queued",
      "3 started",
      "4 progress",
      "5 progress",
      "6 progress",
      "7 succeeded",
    ]);
    expect(server?.seen.map((request) => request.headers["last-event-id"])).toEqual([undefined, "4"]);
    const end = events.at(-1);
    expect(end?.type === "succeeded" && end.data.status).toBe("succeeded");
  });

  it("resumes a stream the server closed cleanly before the job ended", async () => {
    const client = await clientFor((request, response, index) => {
      openStream(response);
      send(response, lastEventId(request), index === 0 ? 2 : STREAM.length);
      response.end();
    });
    const events = await collect(client.jobs.events(ID, { lastEventId: 0 }));
    expect(events).toHaveLength(STREAM.length);
    expect(server?.seen.map((request) => request.headers["last-event-id"])).toEqual(["0", "2"]);
  });

  it("treats a silent stream (not even a heartbeat) as dropped", async () => {
    const client = await clientFor((request, response, index) => {
      openStream(response);
      send(response, lastEventId(request), index === 0 ? 3 : STREAM.length);
      if (index > 0) response.end();
    });
    const events = await collect(client.jobs.events(ID, { idleMs: 300 }));
    expect(events).toHaveLength(STREAM.length);
    expect(server?.seen[1]?.headers["last-event-id"]).toBe("3");
  });

  it("ends with the job's own state when the stream has nothing after Last-Event-ID and the job is over", async () => {
    const client = await clientFor((request, response) => {
      if (isEventsPath(request)) {
        openStream(response);
        response.end();
        return;
      }
      json(response, 200, { ...SUCCEEDED, result: generationBody() });
    });
    const events = await collect(client.jobs.events(ID, { lastEventId: 7 }));
    expect(events).toEqual([{ type: "succeeded", id: null, data: SUCCEEDED }]);
  });

  it("gives up with SdgateConnectionError after maxRetries drops in a row without an event", async () => {
    const client = await clientFor((request, response) => {
      if (isEventsPath(request)) {
        openStream(response);
        response.end();
        return;
      }
      json(response, 200, RUNNING);
    }, 1);
    await expect(collect(client.jobs.events(ID))).rejects.toBeInstanceOf(SdgateConnectionError);
    expect(server?.seen.filter(isEventsPath)).toHaveLength(2);
  });

  it("throws a 4xx answer to the stream at once, without reconnecting", async () => {
    const client = await clientFor((_, response) =>
      json(response, 404, envelope("not_found", "No job.", "id", "not_found_error")),
    );
    await expect(collect(client.jobs.events(ID))).rejects.toMatchObject({
      status: 404,
      code: "not_found",
      param: "id",
    });
    expect(server?.seen).toHaveLength(1);
  });

  it("stops at the caller's abort with its reason, and hangs up on the server", async () => {
    const controller = new AbortController();
    const client = await clientFor((request, response) => {
      openStream(response);
      send(response, lastEventId(request), 1);
    });
    const seen: string[] = [];
    const reading = (async () => {
      for await (const event of client.jobs.events(ID, { signal: controller.signal })) {
        seen.push(event.type);
        controller.abort(new Error("closed the tab"));
      }
    })();
    await expect(reading).rejects.toThrow("closed the tab");
    expect(seen).toEqual(["attempt"]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server?.clientHangUps).toBe(1);
  });

  it("hangs up when the caller stops reading early", async () => {
    const client = await clientFor((request, response) => {
      openStream(response);
      send(response, lastEventId(request), 3);
    });
    for await (const event of client.jobs.events(ID)) if (event.type === "queued") break;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server?.clientHangUps).toBe(1);
  });
});

describe("waiting for a job", () => {
  it("reports progress and answers with the finished job and its images", async () => {
    const client = await clientFor((request, response) => {
      if (isEventsPath(request)) {
        openStream(response);
        send(response, lastEventId(request), STREAM.length);
        response.end();
        return;
      }
      json(response, 200, { ...SUCCEEDED, result: generationBody() });
    });
    const fractions: number[] = [];
    const job = await client.jobs.wait(ID, { onProgress: (progress) => fractions.push(progress.fraction) });
    expect(fractions).toEqual([0.25, 0.5, 0.75]);
    expect(job.status).toBe("succeeded");
    expect(job.result?.data[0]).toMatchObject({ seed: 7 });
  });

  it("follows a generation the edge answered as a job (202) and answers with its result", async () => {
    const client = await clientFor((request, response) => {
      if (request.method === "POST") {
        json(response, 202, jobView(ID), {
          location: `/v1/jobs/${ID}`,
          "x-async": "auto",
          "x-request-id": "req_1",
        });
        return;
      }
      if (isEventsPath(request)) {
        openStream(response);
        send(response, lastEventId(request), STREAM.length);
        response.end();
        return;
      }
      json(response, 200, { ...SUCCEEDED, result: generationBody(7) });
    });
    const steps: number[] = [];
    const result = await client.images.generate({ prompt: "x" }, { onProgress: (p) => steps.push(p.step) });
    expect(result.response.data[0]?.seed).toBe(7);
    expect(result).toMatchObject({ requestId: "req_1", cache: null, backend: "local-a", attempts: 1 });
    expect(result.job?.id).toBe(ID);
    expect(steps).toEqual([1, 2, 3]);
  });

  it("throws a failed job's error when a generation was followed as a job", async () => {
    const failed = jobView(ID, {
      status: "failed",
      error: { code: "generation_failed", message: "It failed twice.", param: null },
    });
    const client = await clientFor((request, response) => {
      if (request.method === "POST") return json(response, 202, jobView(ID));
      if (isEventsPath(request)) {
        openStream(response);
        response.write(formatSse({ id: 1, event: "failed", data: JSON.stringify(failed) }));
        response.end();
        return;
      }
      json(response, 200, failed);
    });
    const error = await client.images.generate({ prompt: "x" }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SdgateApiError);
    expect(error).toMatchObject({ status: 422, code: "generation_failed", message: "It failed twice." });
  });
});
