import {
  auditPageSchema,
  chainReportSchema,
  estimateSchema,
  fleetSchema,
  generationResponseSchema,
  healthSchema,
  type JobEventName,
  jobEventSchemas,
  jobViewSchema,
  jobWithResultSchema,
  keyDetailSchema,
  keyListSchema,
  keyViewSchema,
  keyWithSecretSchema,
  modelListSchema,
  revokedKeySchema,
  usageReportSchema,
  webhookPayloadSchema,
  webhookSecretSchema,
} from "@sdgate/shared";
import { strictly } from "@sdgate/shared/testing";
import { describe, expect, it } from "vitest";
import { PREVIEW_HEADER } from "../jobs/submit.ts";
import { ADMIN_TOKEN, call } from "../keys/testing.ts";
import {
  jobsEnv,
  readEvents,
  request,
  seedJobKey,
  streamFakes,
  submit,
  uniqueJobPrompt,
  waitForDeliveries,
  waitForJob,
} from "../test-support/jobs-harness.ts";
import { WEBHOOK_URL_HEADER } from "../webhooks/url.ts";

// The edge writes what the contract says clients read: the answers the CLI, the SDK and the Studio
// parse, each parsed here with its schema made strict at every depth, so a field the edge sends and
// the contract lacks fails here rather than going unseen by every client.
describe("the edge answers in the contract's shapes", () => {
  it("for keys: made (with its secret), listed, read with what is left, changed, rotated, revoked", async () => {
    const created = await call("/admin/keys", {
      method: "POST",
      admin: true,
      body: JSON.stringify({ name: "contract", metadata: { team: "search" }, allowed_ips: ["10.1.2.3/8"] }),
    });
    expect(created.status).toBe(201);
    const key = strictly(keyWithSecretSchema).parse(await created.json());
    const listed = await call("/admin/keys?limit=2", { admin: true });
    expect(strictly(keyListSchema).parse(await listed.json()).data.length).toBeGreaterThan(0);
    const read = await call(`/admin/keys/${key.id}`, { admin: true });
    strictly(keyDetailSchema).parse(await read.json());
    const changed = await call(`/admin/keys/${key.id}`, {
      method: "PATCH",
      admin: true,
      body: JSON.stringify({ expires_at: null, models: ["tiny"] }),
    });
    expect(strictly(keyViewSchema).parse(await changed.json()).models).toEqual(["tiny"]);
    const rotated = await call(`/admin/keys/${key.id}/rotate`, {
      method: "POST",
      admin: true,
      body: JSON.stringify({ grace_seconds: 60 }),
    });
    expect(strictly(keyWithSecretSchema).parse(await rotated.json()).grace_seconds).toBe(60);
    const revoked = await call(`/admin/keys/${key.id}`, { method: "DELETE", admin: true });
    expect(strictly(revokedKeySchema).parse(await revoked.json()).status).toBe("revoked");
  });

  it("for jobs: queued, and succeeded with its result", async () => {
    const { key } = await seedJobKey();
    const testEnv = jobsEnv();
    const accepted = await submit({ prompt: uniqueJobPrompt(), steps: 2 }, key, testEnv);
    strictly(jobViewSchema).parse(await accepted.json());
    const { id } = jobViewSchema.parse(
      await (await submit({ prompt: uniqueJobPrompt(), steps: 2 }, key, testEnv)).json(),
    );
    const done = await waitForJob(id, key, testEnv);
    expect(done.status).toBe("succeeded");
    strictly(jobViewSchema.extend({ result: generationResponseSchema })).parse(done);
    strictly(jobWithResultSchema).parse(done);
  });

  it("for a job's events, its result as links, its webhook and its cancellation", async () => {
    const { key } = await seedJobKey();
    const testEnv = jobsEnv();
    const hook = `contract-${crypto.randomUUID().slice(0, 8)}`;
    const accepted = await submit(
      { prompt: uniqueJobPrompt(), steps: 3, response_format: "url" },
      key,
      testEnv,
      { [PREVIEW_HEADER]: "1", [WEBHOOK_URL_HEADER]: `${streamFakes.webhooks}/hooks/${hook}` },
    );
    expect(accepted.status).toBe(202);
    const { id } = strictly(jobViewSchema).parse(await accepted.json());
    const events = await readEvents(id, key, testEnv);
    for (const event of events) {
      expect(Object.keys(jobEventSchemas), `an event named '${event.event}'`).toContain(event.event);
      strictly(jobEventSchemas[event.event as JobEventName]).parse(JSON.parse(event.data));
    }
    const names = new Set(events.map((event) => event.event));
    expect([...names].sort()).toEqual(["attempt", "progress", "queued", "started", "succeeded"]);
    const previews = events.filter((event) => event.event === "progress" && event.data.includes('"preview"'));
    expect(previews.length).toBeGreaterThan(0);

    const job = await request("GET", `/v1/jobs/${id}`, key, testEnv);
    expect(strictly(jobWithResultSchema).parse(await job.json()).result?.data[0]).toHaveProperty("url");
    const [delivery] = await waitForDeliveries(hook, 1);
    const payload = strictly(webhookPayloadSchema).parse(JSON.parse(delivery?.body ?? ""));
    expect(payload).toMatchObject({ type: "job.succeeded", data: { id } });
    const secret = await request("GET", "/v1/webhooks/secret", key, testEnv);
    strictly(webhookSecretSchema).parse(await secret.json());

    const queued = jobViewSchema.parse(
      await (await submit({ prompt: uniqueJobPrompt(), steps: 50 }, key, testEnv)).json(),
    );
    const cancelled = await request("POST", `/v1/jobs/${queued.id}/cancel`, key, testEnv);
    expect(strictly(jobViewSchema).parse(await cancelled.json()).id).toBe(queued.id);
  });

  it("for liveness", async () => {
    const health = await call("/healthz");
    strictly(healthSchema).parse(await health.json());
  });

  it("for estimates", async () => {
    const { key } = await seedJobKey();
    const answer = await request("POST", "/v1/estimate", key, jobsEnv(), {
      body: { prompt: "a fox", size: "512x512", steps: 10, hires_scale: 1.5 },
    });
    expect(answer.status).toBe(200);
    strictly(estimateSchema).parse(await answer.json());
  });

  it("for the models list", async () => {
    const { key } = await seedJobKey();
    const answer = await request("GET", "/v1/models", key, jobsEnv());
    expect(answer.status).toBe(200);
    const list = strictly(modelListSchema).parse(await answer.json());
    expect(list.data.length).toBeGreaterThan(0);
  });

  it("for the audit log: a page of it, and a walk along the chain", async () => {
    await call("/admin/keys", { method: "POST", admin: true, body: JSON.stringify({ name: "audited" }) });
    const listed = await call("/admin/audit?limit=5", { admin: true });
    expect(listed.status).toBe(200);
    const page = strictly(auditPageSchema).parse(await listed.json());
    expect(page.data.length).toBeGreaterThan(0);
    const verified = await call("/admin/audit/verify", { admin: true });
    expect(verified.status).toBe(200);
    expect(strictly(chainReportSchema).parse(await verified.json())).toMatchObject({ ok: true });
  });

  it("for the fleet report, before and after its backends have state", async () => {
    const { key } = await seedJobKey();
    // The first backend refuses connections: the job fails over, and its breaker opens with a window.
    const testEnv = jobsEnv(["down", "stream"]);
    const before = await request("GET", "/admin/backends", ADMIN_TOKEN, testEnv);
    expect(before.status).toBe(200);
    strictly(fleetSchema).parse(await before.json());
    await waitForJob(
      jobViewSchema.parse(await (await submit({ prompt: uniqueJobPrompt(), steps: 2 }, key, testEnv)).json())
        .id,
      key,
      testEnv,
    );
    const after = strictly(fleetSchema).parse(
      await (await request("GET", "/admin/backends", ADMIN_TOKEN, testEnv)).json(),
    );
    expect(after.backends[0]?.breaker).toMatchObject({ state: "open", window: { failures: 1 } });
    expect(after.backends[1]?.load).not.toBeNull();
  });

  it("for usage reports", async () => {
    const report = await call("/admin/usage?from=2026-01-01", { admin: true });
    expect(report.status).toBe(200);
    strictly(usageReportSchema).parse(await report.json());
  });
});
