import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { jobsEnv, seedJobKey, submit, uniqueJobPrompt, waitForJob } from "../test-support/jobs-harness.ts";
import type { GenerationJob } from "./generation-job.ts";
import { JobStore } from "./job-store.ts";

describe("a job's retention", () => {
  it("is SDGATE_JOB_RETENTION_HOURS from when it was created", async () => {
    const { key } = await seedJobKey();
    const testEnv = jobsEnv(["stream"], { SDGATE_JOB_RETENTION_HOURS: "2" });
    const response = await submit({ prompt: uniqueJobPrompt(), steps: 1 }, key, testEnv);
    const { id } = (await response.json()) as { id: string };
    await waitForJob(id, key, testEnv);
    const state = await runInDurableObject(env.GENERATION_JOB.getByName(id), (_: GenerationJob, object) =>
      new JobStore(object.storage.sql).state(),
    );
    expect((state?.expiresMs ?? 0) - (state?.createdMs ?? 0)).toBe(2 * 3_600_000);
  });
});
