import type { ErrorEnvelope } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import {
  admin,
  aliasAt,
  finished,
  governed,
  NOBODY_HOLDS,
  start,
  tinyAt,
} from "../../evaluations/testing.ts";
import app from "../../index.ts";
import { FAKE_TINY_DIGESTS } from "../../test-support/fake-backends.ts";
import { callsTo, uniquePrompt } from "../../test-support/harness.ts";

describe("evaluation runs", () => {
  it("generate each prompt on both versions, with each side's numbers and images", async () => {
    const candidate = await tinyAt(FAKE_TINY_DIGESTS.healthyB);
    const baseline = await tinyAt(FAKE_TINY_DIGESTS.common);
    const alias = await aliasAt(baseline);
    const prompts = [uniquePrompt("a lighthouse"), uniquePrompt("a fox")];

    const queued = await start({ candidate: candidate.version, baseline: alias, prompts, steps: 2 });
    expect(queued).toMatchObject({
      model_id: "tiny",
      status: "queued",
      baseline_ref: alias,
      candidate: { version: candidate.version, digest: candidate.digest, count: 0 },
      baseline: { version: baseline.version, digest: baseline.digest, count: 0 },
    });
    expect(queued.id).toMatch(/^evl_[0-9a-f]{16}$/);
    expect(queued.items.map((item) => [item.prompt, item.seed, item.candidate.status])).toEqual([
      [prompts[0], 1, "pending"],
      [prompts[1], 1, "pending"],
    ]);

    const run = await finished(queued.id);
    expect(run.status).toBe("succeeded");
    for (const side of [run.candidate, run.baseline]) {
      expect(side).toMatchObject({ count: 2, failures: 0, failure_rate: 0, flagged_rate: null });
      expect(side.latency_ms.p50).toEqual(expect.any(Number));
      expect(side.latency_ms.p95).toEqual(expect.any(Number));
    }
    // Each side ran on the backend holding its version's files, pinned to that version.
    const [onB] = await callsTo("healthyB", prompts[0] ?? "");
    expect(onB?.body).toMatchObject({
      model_version: { version: candidate.version, digest: candidate.digest },
    });
    const [onA] = await callsTo("healthy", prompts[0] ?? "");
    expect(onA?.body).toMatchObject({
      model_version: { version: baseline.version, digest: baseline.digest },
    });

    const item = run.items[1];
    expect(item?.candidate).toMatchObject({ status: "succeeded", error: null });
    const image = await admin(item?.candidate.image_url ?? "");
    expect(image.status).toBe(200);
    expect(image.headers.get("content-type")).toMatch(/^image\//);
    expect((await image.arrayBuffer()).byteLength).toBeGreaterThan(0);

    const list = await admin("/admin/models/tiny/evaluations");
    const listed = ((await list.json()) as { data: Array<{ id: string; items?: unknown }> }).data;
    expect(listed.find((summary) => summary.id === run.id)).toMatchObject({
      id: run.id,
      status: "succeeded",
    });
    expect(listed.find((summary) => summary.id === run.id)).not.toHaveProperty("items");
  });

  it("counts a version that no backend holds as failures, and still finishes", async () => {
    const candidate = await tinyAt(NOBODY_HOLDS);
    const baseline = await aliasAt(await tinyAt(FAKE_TINY_DIGESTS.common));
    const prompt = uniquePrompt("a bowl of ramen");
    const run = await finished(
      (await start({ candidate: candidate.version, baseline, prompts: [prompt], seeds: 2, steps: 2 })).id,
    );
    expect(run.status).toBe("succeeded");
    expect(run.candidate).toMatchObject({
      count: 2,
      failures: 2,
      failure_rate: 1,
      latency_ms: { p50: null },
    });
    expect(run.baseline).toMatchObject({ count: 2, failures: 0 });
    expect(run.items[0]?.candidate).toMatchObject({
      status: "failed",
      image_url: null,
      error: { code: "model_version_unavailable" },
    });
    const missing = await admin(`/admin/evaluations/${run.id}/image?index=0&side=candidate`);
    expect(missing.status).toBe(404);
  });

  it("count each side's safety-check outcomes when the baseline alias's policy asks for the check", async () => {
    const candidate = await tinyAt(FAKE_TINY_DIGESTS.healthyB);
    const baseline = await aliasAt(await tinyAt(FAKE_TINY_DIGESTS.common));
    const policy = await admin(`/admin/models/tiny/policies/${baseline}`, {
      method: "PUT",
      json: { rules: [], safety_check: "flag" },
    });
    expect(policy.status, await policy.clone().text()).toBe(200);
    // The fakes flag a prompt with the word "unsafe".
    const prompts = [uniquePrompt("an unsafe scene"), uniquePrompt("a calm lake")];
    const run = await finished(
      (await start({ candidate: candidate.version, baseline, prompts, steps: 2 })).id,
    );
    expect(run.safety_check).toBe(true);
    for (const side of [run.candidate, run.baseline])
      expect(side).toMatchObject({
        safety: { passed: 1, flagged: 1, blocked: 0, blurred: 0 },
        flagged_rate: 0.5,
      });
    expect(run.items.map((item) => [item.candidate.safety, item.baseline.safety])).toEqual([
      ["flagged", "flagged"],
      ["passed", "passed"],
    ]);
  });

  it("refuse a candidate or baseline that does not exist, naming it, and unknown runs", async () => {
    const version = await tinyAt(FAKE_TINY_DIGESTS.common);
    const errorOf = async (res: Response) => ({
      status: res.status,
      ...((await res.json()) as ErrorEnvelope).error,
    });
    const post = (json: unknown) => admin("/admin/models/tiny/evaluations", { method: "POST", json });
    expect(await errorOf(await post({ candidate: "v999999" }))).toMatchObject({
      status: 400,
      param: "candidate",
    });
    expect(
      await errorOf(await post({ candidate: version.version, baseline: "no-such-alias" })),
    ).toMatchObject({
      status: 400,
      param: "baseline",
    });
    expect(await errorOf(await post({ candidate: "latest" }))).toMatchObject({
      status: 400,
      code: "invalid_request",
    });
    expect((await admin("/admin/evaluations/evl_0000000000000000")).status).toBe(404);
    expect((await admin("/admin/models/no-such-model/evaluations")).status).toBe(404);
    const anonymous = await app.request("/admin/evaluations/evl_0000000000000000", {}, governed());
    expect(anonymous.status).toBe(401);
  });
});
