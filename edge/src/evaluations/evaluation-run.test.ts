import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { EvaluationOutput } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import { configFor } from "../env.ts";
import { FAKE_TINY_DIGESTS } from "../test-support/fake-backends.ts";
import { callsTo, uniquePrompt } from "../test-support/harness.ts";
import { MAX_ITEM_TRIES } from "./evaluation-run.ts";
import { planEvaluation } from "./plan.ts";
import { getEvaluation, saveEvaluation } from "./store.ts";
import { aliasAt, governed, tinyAt } from "./testing.ts";

const ALREADY_DONE: EvaluationOutput = {
  status: "succeeded",
  latency_ms: 123,
  image_url: null,
  safety: null,
  error: null,
};

/**
 * A run of two prompts as its object would have left it when it died working on item `next` (its
 * `tries`-th wake there), the items before it recorded; the object is evicted, so its next alarm
 * finds only storage, as a restarted object would.
 */
async function interruptedRun(next: number, tries: number) {
  const prompts = [uniquePrompt("a red fox"), uniquePrompt("a blue lake")];
  const candidate = await tinyAt(FAKE_TINY_DIGESTS.healthyB);
  const baseline = await aliasAt(await tinyAt(FAKE_TINY_DIGESTS.common));
  const spec = await planEvaluation(
    configFor(governed()),
    "tiny",
    { candidate: candidate.version, baseline, prompts, steps: 2 },
    { actor: "usr_evaluator00000", location: {} },
  );
  const items = spec.view.items.map((item) =>
    item.index < next ? { ...item, candidate: ALREADY_DONE, baseline: ALREADY_DONE } : item,
  );
  const view = { ...spec.view, status: "running" as const, items };
  const stub = env.EVALUATION_RUN.getByName(view.id);
  await runInDurableObject(stub, async (_, state) => {
    const { registry, timeoutMs, location } = spec;
    const progress = { registry, timeoutMs, location, count: spec.items.length, next, tries };
    const entries: Record<string, unknown> = { view, progress };
    for (const item of spec.items.slice(next)) entries[`item:${item.index}`] = item;
    await state.storage.put(entries);
    await state.storage.setAlarm(Date.now() + 3_600_000);
  });
  await saveEvaluation(env.DB, view);
  await evictDurableObject(stub);
  return { stub, id: view.id, prompts };
}

describe("an evaluation run's object", () => {
  it("resumes at the item it was working on, keeping the items it had recorded", async () => {
    const { stub, id, prompts } = await interruptedRun(1, 1);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const run = await getEvaluation(env.DB, id);
    expect(run?.status).toBe("succeeded");
    expect(run?.items[0]?.candidate).toEqual(ALREADY_DONE);
    expect(run?.items[1]?.candidate).toMatchObject({ status: "succeeded" });
    expect(run?.candidate).toMatchObject({ count: 2, failures: 0 });
    expect(await callsTo("healthyB", prompts[0] ?? "")).toEqual([]);
    expect(await callsTo("healthyB", prompts[1] ?? "")).toHaveLength(1);
  });

  it(`records an item as failed once it kept the object from finishing ${MAX_ITEM_TRIES} times`, async () => {
    const { stub, id, prompts } = await interruptedRun(0, MAX_ITEM_TRIES);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const run = await getEvaluation(env.DB, id);
    expect(run?.status).toBe("succeeded");
    expect(run?.items[0]?.candidate).toMatchObject({
      status: "failed",
      error: { message: `Interrupted ${MAX_ITEM_TRIES} times.` },
    });
    expect(run?.items[1]?.baseline).toMatchObject({ status: "succeeded" });
    expect(run?.candidate).toMatchObject({ count: 2, failures: 1, failure_rate: 0.5 });
    expect(await callsTo("healthy", prompts[0] ?? "")).toEqual([]);
  });
});
