import { env, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { resolveGenerationRequest, TINY_MODEL } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import { putGeneration } from "../cache/store.ts";
import { configFor } from "../env.ts";
import {
  creditsLeft,
  jobsEnv,
  seedJobKey,
  streamCalls,
  uniqueJobPrompt,
} from "../test-support/jobs-harness.ts";
import type { GenerationJob } from "./generation-job.ts";
import { MAX_JOB_RUNS } from "./generation-job.ts";
import type { JobSpec, JobState } from "./job-state.ts";
import { JobStore } from "./job-store.ts";

const COST = 500;

/**
 * A job as its object would have it after dying mid-run: its spec stored, its state `running` after
 * `runs` runs on `backend`, a reservation held for it, and an alarm due. The object is evicted, so the
 * next call finds only storage, as a restarted object would.
 */
async function interruptedJob(options: {
  runs: number;
  backend: string | null;
  pools?: ("stream" | "healthy")[];
}) {
  const { key, id: keyId } = await seedJobKey(100_000);
  const keyState = env.KEY_STATE.getByName(keyId);
  await keyState.initialize({
    key: {
      id: keyId,
      name: "interrupted",
      scopes: ["generate", "read"],
      created_at: new Date().toISOString(),
      limits: { requests_per_minute: 1_000, concurrency: 10, credits: 100_000 },
    },
    secrets: [],
  });
  const admitted = await keyState.admit(COST);
  if (!admitted.ok || admitted.reservationId === null) throw new Error("no reservation");
  const prompt = uniqueJobPrompt("an interrupted job");
  const resolved = resolveGenerationRequest({ prompt, size: "64x64", steps: 2 }, TINY_MODEL, 5);
  if (!resolved.ok) throw new Error(resolved.error.message);
  const testEnv = jobsEnv(options.pools ?? ["stream"]);
  const id = `job_${crypto.randomUUID().replaceAll("-", "")}`;
  const nowMs = Date.now();
  const spec: JobSpec = {
    id,
    ownerKeyId: keyId,
    fingerprint: null,
    fleet: {
      tenantTag: "interrupted",
      cacheKey: `ck-${id}`,
      request: resolved.value,
      registry: configFor(testEnv).registry,
      timeoutMs: 10_000,
      location: {},
      requestId: `req_${id}`,
    },
    tenant: keyId,
    requestHash: "0".repeat(64),
    cost: COST,
    reservationId: admitted.reservationId,
    store: "job",
    responseFormat: "b64_json",
    webhookUrl: null,
    origin: "http://edge.test",
    previewEvery: 0,
    deadlineAtMs: nowMs + 60_000,
  };
  const state: JobState = {
    id,
    ownerKeyId: keyId,
    fingerprint: null,
    status: "running",
    createdMs: nowMs,
    startedMs: nowMs,
    completedMs: null,
    request: { model: "tiny", width: 64, height: 64, n: 1, steps: 2, seed: 5 },
    responseFormat: "b64_json",
    queue: null,
    progress: null,
    backend: options.backend,
    attempts: options.runs,
    result: null,
    error: null,
    webhook: null,
    cancelRequested: false,
    expiresMs: nowMs + 3_600_000,
    runs: options.runs,
  };
  const stub = env.GENERATION_JOB.getByName(id);
  await runInDurableObject(stub, async (_: GenerationJob, objectState) => {
    const store = new JobStore(objectState.storage.sql);
    store.saveSpec(spec);
    store.saveState(state);
    await objectState.storage.setAlarm(nowMs + 3_600_000);
  });
  await evictDurableObject(stub);
  return { key, keyId, stub, spec, prompt };
}

describe("a job whose object died mid-run", () => {
  it("takes the images its interrupted run already stored, without a backend, and charges them once", async () => {
    const { keyId, stub, spec, prompt } = await interruptedJob({ runs: 1, backend: "fake-stream" });
    await putGeneration(env.IMAGES, spec.fleet.tenantTag, `job-${spec.id}`, {
      created: 1,
      model: "tiny",
      output_format: "png",
      width: 64,
      height: 64,
      backend: "fake-stream",
      region: "local",
      timings_ms: { text_encode: 0, denoise: 1, decode: 0, image_encode: 0, total: 1 },
      images: [{ seed: 5, b64: "iVBORw0KGgo=" }],
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const snapshot = await stub.read(keyId);
    expect(snapshot?.view.status).toBe("succeeded");
    expect(await streamCalls("stream", prompt)).toEqual([]);
    expect(await creditsLeft(keyId)).toBe(100_000 - COST);
    expect((await env.KEY_STATE.getByName(keyId).snapshot()).inFlight).toBe(0);
  });

  it("asks the backend that had the job first, under the same job id", async () => {
    const { keyId, stub, spec, prompt } = await interruptedJob({
      runs: 1,
      backend: "fake-stream",
      pools: ["healthy", "stream"],
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await stub.read(keyId))?.view.status).toBe("succeeded");
    const calls = await streamCalls("stream", prompt);
    expect(calls.map((call) => call.jobId)).toEqual([spec.id]);
    expect(await creditsLeft(keyId)).toBe(100_000 - COST);
  });

  it(`is given up as failed, and refunded, after ${MAX_JOB_RUNS} interrupted runs`, async () => {
    const { keyId, stub, prompt } = await interruptedJob({ runs: MAX_JOB_RUNS, backend: "fake-stream" });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const view = (await stub.read(keyId))?.view;
    expect(view?.status).toBe("failed");
    expect(view?.error?.message).toMatch(/interrupted 3 times/);
    expect(await streamCalls("stream", prompt)).toEqual([]);
    expect(await creditsLeft(keyId)).toBe(100_000);
    expect((await env.KEY_STATE.getByName(keyId).snapshot()).inFlight).toBe(0);
  });
});
