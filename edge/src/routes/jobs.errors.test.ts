import { describe, expect, it } from "vitest";
import {
  cancelsFor,
  creditsLeft,
  getJob,
  jobsEnv,
  readEvents,
  request,
  seedJobKey,
  submit,
  uniqueJobPrompt,
  waitForJob,
} from "../test-support/jobs-harness.ts";
import { REJECT_MARKER } from "../test-support/stream-fakes.ts";

interface Envelope {
  error: { code: string; message: string; param: string | null };
}

describe("async jobs: cancellation, idempotency and failures", () => {
  it("cancels a running job on its backend (signed), ends it cancelled and refunds its credits", async () => {
    const { key, id: keyId } = await seedJobKey(1_000_000);
    const testEnv = jobsEnv();
    const response = await submit({ prompt: uniqueJobPrompt(), steps: 150 }, key, testEnv);
    const { id } = (await response.json()) as { id: string };
    const creditsLeftBeforeRefund = creditsLeft(keyId);
    expect(await creditsLeftBeforeRefund).toBeLessThan(1_000_000);
    // Wait until the backend is denoising.
    const seen = await readEvents(id, key, testEnv, { stopAfter: 5 });
    expect(seen.at(-1)?.event).toBe("progress");

    const cancel = await request("POST", `/v1/jobs/${id}/cancel`, key, testEnv);
    expect(cancel.status).toBe(200);
    expect(((await cancel.json()) as { status: string }).status).toBe("cancelled");
    expect(await cancelsFor("stream", id)).toEqual([{ jobId: id, signature: "ok" }]);
    const job = await getJob(id, key, testEnv);
    expect(job.status).toBe("cancelled");
    expect(job.error?.code).toBe("cancelled");
    expect(job.progress?.step ?? 0).toBeLessThan(150);
    // The job says what it had reserved, that it charged nothing, and that all of it went back.
    const reserved = 1_000_000 - ((await creditsLeftBeforeRefund) ?? 1_000_000);
    expect(reserved).toBeGreaterThan(0);
    expect(job.credits).toEqual({ reserved, charged: 0, refunded: reserved });
    const events = await readEvents(id, key, testEnv, { lastEventId: 5 });
    expect(events.at(-1)?.event).toBe("cancelled");
    await expect.poll(() => creditsLeft(keyId)).toBe(1_000_000);
    // Cancelling again changes nothing.
    const again = await request("POST", `/v1/jobs/${id}/cancel`, key, testEnv);
    expect(((await again.json()) as { status: string }).status).toBe("cancelled");
  });

  it("returns the same job for the same Idempotency-Key and body, charging once", async () => {
    const { key, id: keyId } = await seedJobKey(1_000_000);
    const testEnv = jobsEnv();
    const body = { prompt: uniqueJobPrompt(), steps: 3, seed: 1 };
    const idempotency = { "idempotency-key": `"order-${crypto.randomUUID()}"` };
    const first = await submit(body, key, testEnv, idempotency);
    const firstJob = (await first.json()) as { id: string };
    expect(first.status).toBe(202);
    // The same body with its keys in another order is the same request.
    const second = await submit({ seed: 1, steps: 3, prompt: body.prompt }, key, testEnv, idempotency);
    expect(second.status).toBe(202);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(((await second.json()) as { id: string }).id).toBe(firstJob.id);
    const done = await waitForJob(firstJob.id, key, testEnv);
    expect(done.status).toBe("succeeded");
    // One generation's cost, not two: 3 steps of 256×256 = 3 credits.
    await expect.poll(() => creditsLeft(keyId)).toBe(1_000_000 - 3);
  });

  it("answers 422 naming Idempotency-Key when the key comes back with a different body", async () => {
    const { key } = await seedJobKey();
    const testEnv = jobsEnv();
    const idempotency = { "idempotency-key": `k-${crypto.randomUUID()}` };
    await submit({ prompt: uniqueJobPrompt(), steps: 2 }, key, testEnv, idempotency);
    const clash = await submit({ prompt: uniqueJobPrompt(), steps: 2 }, key, testEnv, idempotency);
    expect(clash.status).toBe(422);
    const envelope = (await clash.json()) as Envelope;
    expect(envelope.error.code).toBe("idempotency_key_reused");
    expect(envelope.error.param).toBe("Idempotency-Key");
  });

  it("refuses a malformed Idempotency-Key, webhook URL or Last-Event-ID by name", async () => {
    const { key } = await seedJobKey();
    const testEnv = jobsEnv();
    const longKey = await submit({ prompt: "x" }, key, testEnv, { "idempotency-key": "k".repeat(300) });
    expect(longKey.status).toBe(400);
    expect(((await longKey.json()) as Envelope).error.param).toBe("Idempotency-Key");
    const plainHttp = await submit({ prompt: "x" }, key, testEnv, {
      "sdgate-webhook-url": "http://example.com/hook",
    });
    expect(plainHttp.status).toBe(400);
    expect(((await plainHttp.json()) as Envelope).error.param).toBe("Sdgate-Webhook-Url");
    const { id } = (await (await submit({ prompt: uniqueJobPrompt(), steps: 1 }, key, testEnv)).json()) as {
      id: string;
    };
    const events = await request("GET", `/v1/jobs/${id}/events`, key, testEnv, {
      headers: { "last-event-id": "abc" },
    });
    expect(events.status).toBe(400);
    expect(((await events.json()) as Envelope).error.param).toBe("Last-Event-ID");
  });

  it("ends a job the backend refuses as failed with the backend's reason, and refunds it", async () => {
    const { key, id: keyId } = await seedJobKey(1_000_000);
    const testEnv = jobsEnv();
    const response = await submit(
      { prompt: `${REJECT_MARKER} ${uniqueJobPrompt()}`, steps: 4 },
      key,
      testEnv,
    );
    const { id } = (await response.json()) as { id: string };
    const job = await waitForJob(id, key, testEnv);
    expect(job.status).toBe("failed");
    expect(job.error).toMatchObject({ code: "invalid_request", param: "prompt" });
    expect(job.attempts).toBe(1);
    await expect.poll(() => creditsLeft(keyId)).toBe(1_000_000);
  });

  it("answers 404 for a job that does not exist, or an id that cannot be one", async () => {
    const { key } = await seedJobKey();
    const testEnv = jobsEnv();
    for (const id of [`job_${"0".repeat(32)}`, "job_nope", "../admin"]) {
      const response = await request("GET", `/v1/jobs/${encodeURIComponent(id)}`, key, testEnv);
      expect(response.status).toBe(404);
      expect(((await response.json()) as Envelope).error.code).toBe("not_found");
    }
  });

  it("answers a cancel of a finished job with the job as it ended", async () => {
    const { key } = await seedJobKey();
    const testEnv = jobsEnv();
    const { id } = (await (await submit({ prompt: uniqueJobPrompt(), steps: 1 }, key, testEnv)).json()) as {
      id: string;
    };
    await waitForJob(id, key, testEnv);
    const cancel = await request("POST", `/v1/jobs/${id}/cancel`, key, testEnv);
    expect(cancel.status).toBe(200);
    expect(((await cancel.json()) as { status: string }).status).toBe("succeeded");
  });
});
