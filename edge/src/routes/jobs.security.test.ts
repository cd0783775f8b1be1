import { describe, expect, it } from "vitest";
import {
  jobsEnv,
  request,
  seedJobKey,
  streamFakes,
  submit,
  uniqueJobPrompt,
  waitForDeliveries,
  waitForJob,
} from "../test-support/jobs-harness.ts";
import { webhookSecretFor } from "../webhooks/secret.ts";
import { verifyWebhook } from "../webhooks/signature.ts";

describe("async jobs: who may see what", () => {
  it("hides a job from every other API key: read, events and cancel all answer 404", async () => {
    const owner = await seedJobKey();
    const other = await seedJobKey();
    const testEnv = jobsEnv();
    const { id } = (await (
      await submit({ prompt: uniqueJobPrompt(), steps: 3 }, owner.key, testEnv)
    ).json()) as {
      id: string;
    };
    for (const [method, path] of [
      ["GET", `/v1/jobs/${id}`],
      ["GET", `/v1/jobs/${id}/events`],
      ["POST", `/v1/jobs/${id}/cancel`],
    ] as const) {
      const response = await request(method, path, other.key, testEnv);
      expect(response.status).toBe(404);
    }
    // The other key's attempts changed nothing.
    expect((await waitForJob(id, owner.key, testEnv)).status).toBe("succeeded");
  });

  it("keys idempotency per API key: the same Idempotency-Key from two keys makes two jobs", async () => {
    const a = await seedJobKey();
    const b = await seedJobKey();
    const testEnv = jobsEnv();
    const headers = { "idempotency-key": `shared-${crypto.randomUUID()}` };
    const body = { prompt: uniqueJobPrompt(), steps: 1 };
    const jobA = (await (await submit(body, a.key, testEnv, headers)).json()) as { id: string };
    const jobB = (await (await submit(body, b.key, testEnv, headers)).json()) as { id: string };
    expect(jobA.id).not.toBe(jobB.id);
  });

  it("needs a key for every job route", async () => {
    const testEnv = jobsEnv();
    const id = `job_${"a".repeat(32)}`;
    expect((await request("GET", `/v1/jobs/${id}`, null, testEnv)).status).toBe(401);
    expect((await request("GET", `/v1/jobs/${id}/events`, null, testEnv)).status).toBe(401);
    expect((await request("POST", `/v1/jobs/${id}/cancel`, null, testEnv)).status).toBe(401);
    expect((await request("POST", "/v1/estimate", null, testEnv, { body: { prompt: "x" } })).status).toBe(
      401,
    );
  });

  it("refuses webhooks to private or loopback addresses unless loopback is allowed for development", async () => {
    const { key } = await seedJobKey();
    const strict = jobsEnv(["stream"], { SDGATE_WEBHOOK_ALLOW_LOOPBACK: "false" });
    for (const url of [
      "https://10.0.0.8/hook",
      "https://192.168.1.1/hook",
      "http://127.0.0.1:9/hook",
      "https://[::1]/x",
    ]) {
      const response = await submit({ prompt: "x" }, key, strict, { "sdgate-webhook-url": url });
      expect(response.status).toBe(400);
    }
  });

  it("signs each key's webhooks with that key's own secret, which no other key's secret verifies", async () => {
    const owner = await seedJobKey();
    const other = await seedJobKey();
    const testEnv = jobsEnv();
    const hook = `own-${crypto.randomUUID().slice(0, 8)}`;
    await submit({ prompt: uniqueJobPrompt(), steps: 1 }, owner.key, testEnv, {
      "sdgate-webhook-url": `${streamFakes.webhooks}/hooks/${hook}`,
    });
    const [delivery] = await waitForDeliveries(hook, 1);
    if (!delivery) throw new Error("no delivery");
    const headers = new Headers(delivery.headers);
    const serverSecret = testEnv.SDGATE_WEBHOOK_SECRET as string;
    expect(await verifyWebhook(await webhookSecretFor(serverSecret, owner.id), headers, delivery.body)).toBe(
      true,
    );
    expect(await verifyWebhook(await webhookSecretFor(serverSecret, other.id), headers, delivery.body)).toBe(
      false,
    );
    // A tampered body fails.
    expect(
      await verifyWebhook(await webhookSecretFor(serverSecret, owner.id), headers, `${delivery.body} `),
    ).toBe(false);
  });
});
