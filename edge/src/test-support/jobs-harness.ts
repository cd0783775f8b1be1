import { env } from "cloudflare:workers";
import { type JobWithResult, sha256Hex } from "@sdgate/shared";
import type { Env } from "../env.ts";
import app from "../index.ts";
import type { JobView } from "../jobs/job-state.ts";
import { readSse, type SseEvent } from "../jobs/sse.ts";
import { type ApiKeyRecord, apiKeyRecordKey } from "../keys/api-key.ts";
import type { FakeBehaviour } from "./fake-backends.ts";
import { edgeEnv, fakes } from "./harness.ts";
import {
  CANCELS_PATH,
  DELIVERIES_PATH,
  type RecordedCancel,
  type RecordedDelivery,
  type RecordedStreamCall,
  STREAM_CALLS_PATH,
  type StreamFakes,
} from "./stream-fakes.ts";

export const streamFakes: StreamFakes = env.STREAM_FAKES;

export type JobPool = "stream" | "streamDrop" | FakeBehaviour | "down";

/** An edge env routing to the given backends in that order, as a fresh fleet (own health and timings). */
export function jobsEnv(pools: readonly JobPool[] = ["stream"], overrides: Partial<Env> = {}): Env {
  const registry = {
    fleet: `jobs-${crypto.randomUUID().slice(0, 12)}`,
    // Fast retries: a dropped stream fails over at once.
    retry: { backoff_base_ms: 1, backoff_cap_ms: 5 },
    pools: pools.map((pool, priority) => ({
      name: `fake-${pool}`,
      url: pool === "stream" || pool === "streamDrop" ? streamFakes[pool] : fakes.urls[pool],
      provider: `fake-${pool}`,
      region: "local",
      priority,
    })),
  };
  return edgeEnv(["healthy"], { SDGATE_BACKENDS: JSON.stringify(registry), ...overrides });
}

/** A key with room for test loops and, unless `credits: null`, a credit balance to watch. */
export async function seedJobKey(credits: number | null = 1_000_000): Promise<{ key: string; id: string }> {
  const key = `sk_test_${crypto.randomUUID().replaceAll("-", "")}`;
  const id = `key_${crypto.randomUUID().slice(0, 8)}`;
  const record: ApiKeyRecord = {
    id,
    name: "jobs test",
    scopes: ["generate", "read"],
    created_at: new Date().toISOString(),
    limits: { requests_per_minute: 100_000, concurrency: 1_000, credits },
  };
  await env.API_KEYS.put(apiKeyRecordKey(await sha256Hex(key)), JSON.stringify(record));
  return { key, id };
}

export function request(
  method: string,
  path: string,
  key: string | null,
  testEnv: Env,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<Response> {
  const headers: Record<string, string> = { ...options.headers };
  if (key !== null) headers.authorization = `Bearer ${key}`;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  return Promise.resolve(
    app.request(
      path,
      { method, headers, ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }) },
      testEnv,
    ),
  );
}

/** `POST /v1/images/generations` with `Prefer: respond-async` (and any other headers). */
export function submit(
  body: unknown,
  key: string,
  testEnv: Env,
  headers: Record<string, string> = {},
): Promise<Response> {
  return request("POST", "/v1/images/generations", key, testEnv, {
    body,
    headers: { prefer: "respond-async", ...headers },
  });
}

export async function getJob(id: string, key: string, testEnv: Env): Promise<JobWithResult> {
  const response = await request("GET", `/v1/jobs/${id}`, key, testEnv);
  if (response.status !== 200) throw new Error(`GET job: ${response.status} ${await response.text()}`);
  return (await response.json()) as JobWithResult;
}

/** Every event of the job's stream (after `lastEventId`), read until the stream ends or `stopAfter` events. */
export async function readEvents(
  id: string,
  key: string,
  testEnv: Env,
  options: { lastEventId?: number; stopAfter?: number } = {},
): Promise<SseEvent[]> {
  const headers: Record<string, string> = {};
  if (options.lastEventId !== undefined) headers["last-event-id"] = String(options.lastEventId);
  const response = await request("GET", `/v1/jobs/${id}/events`, key, testEnv, { headers });
  if (response.status !== 200 || response.body === null) {
    throw new Error(`events: ${response.status} ${await response.text()}`);
  }
  const events: SseEvent[] = [];
  for await (const event of readSse(response.body)) {
    events.push(event);
    if (options.stopAfter !== undefined && events.length >= options.stopAfter) break;
  }
  return events;
}

/** Polls the job until `done(job)` or the deadline. */
export async function waitForJob(
  id: string,
  key: string,
  testEnv: Env,
  done: (job: JobView) => boolean = (job) => ["succeeded", "failed", "cancelled"].includes(job.status),
  timeoutMs = 8_000,
): Promise<JobWithResult> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await getJob(id, key, testEnv);
    if (done(job) || Date.now() > deadline) return job;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export async function streamCalls(
  pool: "stream" | "streamDrop",
  prompt: string,
): Promise<RecordedStreamCall[]> {
  const response = await fetch(
    `${streamFakes[pool]}${STREAM_CALLS_PATH}?prompt=${encodeURIComponent(prompt)}`,
  );
  return (await response.json()) as RecordedStreamCall[];
}

export async function cancelsFor(pool: "stream" | "streamDrop", jobId: string): Promise<RecordedCancel[]> {
  const response = await fetch(`${streamFakes[pool]}${CANCELS_PATH}?job=${encodeURIComponent(jobId)}`);
  return (await response.json()) as RecordedCancel[];
}

export async function deliveries(name: string): Promise<RecordedDelivery[]> {
  const response = await fetch(`${streamFakes.webhooks}${DELIVERIES_PATH}?name=${encodeURIComponent(name)}`);
  return (await response.json()) as RecordedDelivery[];
}

/** Polls the webhook receiver until `count` deliveries for `name` arrived (or the deadline). */
export async function waitForDeliveries(
  name: string,
  count: number,
  timeoutMs = 8_000,
): Promise<RecordedDelivery[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const received = await deliveries(name);
    if (received.length >= count || Date.now() > deadline) return received;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function creditsLeft(keyId: string): Promise<number | null> {
  return (await env.KEY_STATE.getByName(keyId).snapshot()).creditsRemaining;
}

export function uniqueJobPrompt(label = "a green square"): string {
  return `${label} #${crypto.randomUUID()}`;
}
