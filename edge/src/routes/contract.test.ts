import {
  generationResponseSchema,
  jobViewSchema,
  keyRemainingSchema,
  keyViewSchema,
  keyWithSecretSchema,
  usageReportSchema,
} from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import { call } from "../keys/testing.ts";
import { jobsEnv, seedJobKey, submit, uniqueJobPrompt, waitForJob } from "../test-support/jobs-harness.ts";

// The edge writes what the contract says clients read: the views the CLI, the SDK and the Studio parse.
describe("the edge answers in the contract's shapes", () => {
  it("for keys: made (with its secret), listed, read with what is left, revoked", async () => {
    const created = await call("/admin/keys", {
      method: "POST",
      admin: true,
      body: JSON.stringify({ name: "contract", metadata: { team: "search" } }),
    });
    const key = keyWithSecretSchema.strict().parse(await created.json());
    const listed = (await (await call("/admin/keys", { admin: true })).json()) as { data: unknown[] };
    for (const entry of listed.data) keyViewSchema.strict().parse(entry);
    const read = (await (await call(`/admin/keys/${key.id}`, { admin: true })).json()) as {
      remaining: unknown;
    };
    keyViewSchema.extend({ remaining: keyRemainingSchema.nullable() }).strict().parse(read);
  });

  it("for jobs: queued, and succeeded with its result", async () => {
    const { key } = await seedJobKey();
    const testEnv = jobsEnv();
    const accepted = await submit({ prompt: uniqueJobPrompt(), steps: 2 }, key, testEnv);
    jobViewSchema.strict().parse(await accepted.json());
    const { id } = jobViewSchema.parse(
      await (await submit({ prompt: uniqueJobPrompt(), steps: 2 }, key, testEnv)).json(),
    );
    const done = await waitForJob(id, key, testEnv);
    expect(done.status).toBe("succeeded");
    jobViewSchema.extend({ result: generationResponseSchema }).strict().parse(done);
  });

  it("for usage reports", async () => {
    const report = await call("/admin/usage?from=2026-01-01", { admin: true });
    expect(report.status).toBe(200);
    usageReportSchema.strict().parse(await report.json());
  });
});
