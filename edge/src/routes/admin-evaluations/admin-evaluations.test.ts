import type { ErrorEnvelope, EvaluationRun, ModelVersion } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import app from "../../index.ts";
import { ADMIN_TOKEN } from "../../keys/testing.ts";
import {
  approvePromotion,
  createModel,
  listVersions,
  registerVersion,
  requestPromotion,
} from "../../model-registry/index.ts";
import { db, versionBody } from "../../model-registry/testing.ts";
import { FAKE_TINY_DIGESTS } from "../../test-support/fake-backends.ts";
import { callsTo, edgeEnv, uniquePrompt } from "../../test-support/harness.ts";

// Edge test files share one D1: tiny's versions are registered by whichever file needs them first.
const REGISTRAR = "usr_evaluator00000";
const APPROVER = "usr_evalapprover00";
const NOBODY_HOLDS = "e".repeat(64);

/** The registry-governed edge, on both fakes (`healthy` holds the common digest, `healthyB` its own). */
const governed = () => edgeEnv(["healthy", "healthyB"], { SDGATE_MODEL_GOVERNANCE: "registry" });

function admin(path: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
  const { json, ...rest } = init;
  const headers = new Headers(rest.headers);
  headers.set("Authorization", `Bearer ${ADMIN_TOKEN}`);
  if (json !== undefined) headers.set("Content-Type", "application/json");
  const body = json === undefined ? {} : { body: JSON.stringify(json) };
  return Promise.resolve(app.request(path, { ...rest, ...body, headers }, governed()));
}

/** tiny's version holding `digest`, registered on first use. */
async function tinyAt(digest: string): Promise<ModelVersion> {
  await createModel(db, { id: "tiny", description: "the fakes' tiny" }, REGISTRAR);
  const find = async () => (await listVersions(db, "tiny")).find((version) => version.digest === digest);
  const known = await find();
  if (known) return known;
  const registered = await registerVersion(db, "tiny", versionBody({ digest }), REGISTRAR);
  if (registered.ok) return registered.value.after;
  const raced = await find();
  if (!raced) expect.fail(registered.error.message);
  return raced;
}

/** A fresh alias of tiny at `version`, moved there by an approved promotion. */
async function aliasAt(version: ModelVersion): Promise<string> {
  const alias = `e-${crypto.randomUUID().slice(0, 8)}`;
  const requested = await requestPromotion(db, "tiny", { alias, to_version: version.version }, REGISTRAR);
  if (!requested.ok) expect.fail(requested.error.message);
  const approved = await approvePromotion(db, requested.value.after.id, APPROVER);
  if (!approved.ok) expect.fail(approved.error.message);
  return alias;
}

async function start(body: unknown): Promise<EvaluationRun> {
  const res = await admin("/admin/models/tiny/evaluations", { method: "POST", json: body });
  expect(res.status, await res.clone().text()).toBe(202);
  return (await res.json()) as EvaluationRun;
}

/** Reads the run until its object has finished it. */
async function finished(id: string): Promise<EvaluationRun> {
  for (let i = 0; i < 80; i++) {
    const res = await admin(`/admin/evaluations/${id}`);
    expect(res.status).toBe(200);
    const run = (await res.json()) as EvaluationRun;
    if (run.status === "succeeded" || run.status === "failed") return run;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return expect.fail(`evaluation ${id} did not finish`);
}

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
