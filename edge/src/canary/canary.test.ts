import { env } from "cloudflare:workers";
import type { SplitView } from "@sdgate/shared";
import { describe, expect, it, vi } from "vitest";
import type { Env } from "../env.ts";
import { call } from "../keys/testing.ts";
import { freshTinyAliasAt, tinyVersionHolding } from "../model-registry/testing.ts";
import { FAKE_TINY_DIGESTS } from "../test-support/fake-backends.ts";
import { edgeEnv, generate, seedApiKey, uniquePrompt } from "../test-support/harness.ts";
import { jobsEnv, seedJobKey, submit, waitForJob } from "../test-support/jobs-harness.ts";
import { brokenBudget, remember, statsOf } from "./stats.ts";

// tiny's versions are shared by the edge's test files; each test has aliases of its own.
const NOBODY_HOLDS = "9".repeat(64);

async function aliasTo(digest: string, prefix: string): Promise<string> {
  return freshTinyAliasAt(await tinyVersionHolding(digest), prefix);
}

const governed = (): Env => edgeEnv(["healthy", "healthyB"], { SDGATE_MODEL_GOVERNANCE: "registry" });

async function split(path: string, init: RequestInit = {}, status = 200): Promise<SplitView> {
  const res = await call(`/admin/models/tiny/aliases/${path}/split`, { ...init, admin: true }, governed());
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text) as SplitView;
}

describe("a canary split's numbers", () => {
  it("counts 5xx as errors and times only successes, over the latest outcomes", () => {
    let outcomes = remember([], true, 100);
    outcomes = remember(outcomes, true, 300);
    outcomes = remember(outcomes, false, 90_000);
    const stats = statsOf("v2", outcomes);
    expect(stats).toEqual({
      version: "v2",
      requests: 3,
      errors: 1,
      error_rate: 1 / 3,
      p50_ms: 100,
      p95_ms: 300,
    });
    const budgets = { max_error_rate: 0.2, max_p95_ms: 1_000, min_requests: 3 };
    expect(brokenBudget(stats, budgets)).toEqual({ budget: "max_error_rate", limit: 0.2, value: 1 / 3 });
    expect(brokenBudget(stats, { ...budgets, min_requests: 4 })).toBeNull();
    expect(brokenBudget(statsOf("v2", [[1, 5_000]]), { ...budgets, min_requests: 1 })).toMatchObject({
      budget: "max_p95_ms",
    });
  });
});

describe("a canary split on an alias", () => {
  it("sends a share of the alias's requests to the canary alias's version, with each version's numbers", async () => {
    const stable = await aliasTo(FAKE_TINY_DIGESTS.common, "p");
    const canary = await aliasTo(FAKE_TINY_DIGESTS.healthyB, "c");
    const started = await split(stable, {
      method: "PUT",
      body: JSON.stringify({ to_alias: canary, weight: 50 }),
    });
    expect(started.split).toMatchObject({
      alias: stable,
      to_alias: canary,
      weight: 50,
      max_error_rate: 0.05,
    });
    expect(started.stable_version).not.toBe(started.canary_version);

    const key = await seedApiKey();
    const backends = new Set<string>();
    const versions = new Set<string>();
    for (let i = 0; i < 24 && backends.size < 2; i++) {
      const res = await generate(
        { prompt: uniquePrompt(), model: `tiny@${stable}` },
        { key, env: governed() },
      );
      expect(res.status).toBe(200);
      backends.add(res.headers.get("x-backend") ?? "");
      versions.add(((await res.json()) as { model_version: string }).model_version);
    }
    // The canary's version is held by healthyB only, the stable one by every other fake.
    expect(backends).toEqual(new Set(["fake-healthy", "fake-healthyB"]));
    expect(versions).toEqual(new Set([started.stable_version, started.canary_version]));
    await vi.waitFor(async () => {
      const view = await split(stable);
      expect(view.stats.map((stats) => stats.version).sort()).toEqual(
        [started.stable_version, started.canary_version].sort(),
      );
      expect(view.stats.every((stats) => stats.errors === 0 && stats.p95_ms !== null)).toBe(true);
    });

    const stopped = await split(stable, { method: "DELETE" });
    expect(stopped.split).toBeNull();
    expect(stopped.last_ended).toMatchObject({ reason: "stopped", ended_by: "break_glass" });
    await split(stable, { method: "DELETE" }, 404);
  });

  it("rolls itself back when the canary breaks its error budget, audited as the system's", async () => {
    const stable = await aliasTo(FAKE_TINY_DIGESTS.common, "p");
    // A version no backend holds: every request drawn to it fails (503).
    const canary = await aliasTo(NOBODY_HOLDS, "c");
    const budgets = { to_alias: canary, weight: 50, max_error_rate: 0.1, min_requests: 2 };
    const started = await split(stable, { method: "PUT", body: JSON.stringify(budgets) });
    const key = await seedApiKey();
    let ended: SplitView | null = null;
    for (let i = 0; i < 40 && ended === null; i++) {
      await generate({ prompt: uniquePrompt(), model: `tiny@${stable}` }, { key, env: governed() });
      const view = await split(stable);
      if (view.split === null) ended = view;
    }
    if (ended === null) {
      // The last reports may still be on their way.
      await vi.waitFor(async () => expect((await split(stable)).split).toBeNull());
      ended = await split(stable);
    }
    expect(ended.last_ended).toMatchObject({
      id: started.split?.id,
      reason: "rolled_back",
      ended_by: "system",
    });
    expect(ended.last_ended?.detail).toMatchObject({
      broken: { budget: "max_error_rate", limit: 0.1 },
      canary_version: started.canary_version,
    });
    // With the split gone, the alias serves its own version only.
    for (let i = 0; i < 4; i++) {
      const res = await generate(
        { prompt: uniquePrompt(), model: `tiny@${stable}` },
        { key, env: governed() },
      );
      expect(res.status).toBe(200);
    }
    await vi.waitFor(async () => {
      const { results } = await env.DB.prepare(
        "SELECT actor, detail FROM audit_log WHERE action = 'model.canary.rollback' AND detail LIKE ?",
      )
        .bind(`%${started.split?.id}%`)
        .all<{ actor: string; detail: string }>();
      expect(results).toHaveLength(1);
      expect(results[0]?.actor).toBe("system");
    });
  });

  it("refuses a split whose aliases are missing or point at the same version", async () => {
    const stable = await aliasTo(FAKE_TINY_DIGESTS.common, "p");
    const same = await aliasTo(FAKE_TINY_DIGESTS.common, "c");
    await split(stable, { method: "PUT", body: JSON.stringify({ to_alias: same, weight: 10 }) }, 400);
    await split(stable, { method: "PUT", body: JSON.stringify({ to_alias: "nowhere", weight: 10 }) }, 404);
    await split(stable, { method: "PUT", body: JSON.stringify({ to_alias: same, weight: 51 }) }, 400);
  });
});

describe("an async job on a split alias", () => {
  it("counts toward its version's numbers, and can roll the canary back", async () => {
    const stable = await aliasTo(FAKE_TINY_DIGESTS.common, "p");
    const canary = await aliasTo(NOBODY_HOLDS, "c");
    const budgets = { to_alias: canary, weight: 50, max_error_rate: 0, min_requests: 1 };
    const started = await split(stable, { method: "PUT", body: JSON.stringify(budgets) });
    const testEnv = jobsEnv(["stream"], { SDGATE_MODEL_GOVERNANCE: "registry" });
    const { key } = await seedJobKey();
    const view = () => call(`/admin/models/tiny/aliases/${stable}/split`, { admin: true }, testEnv);
    let ended = false;
    for (let i = 0; i < 30 && !ended; i++) {
      const res = await submit({ prompt: uniquePrompt(), model: `tiny@${stable}`, steps: 2 }, key, testEnv);
      expect(res.status).toBe(202);
      const { id } = (await res.json()) as { id: string };
      await waitForJob(id, key, testEnv);
      await vi.waitFor(async () => {
        const { stats, split: running } = (await (await view()).json()) as SplitView;
        // Each finished job is in the numbers, or its failure has ended the split.
        expect(running === null || stats.reduce((n, s) => n + s.requests, 0) >= i + 1).toBe(true);
      });
      ended = ((await (await view()).json()) as SplitView).split === null;
    }
    const last = (await (await view()).json()) as SplitView;
    expect(last.split).toBeNull();
    expect(last.last_ended).toMatchObject({
      id: started.split?.id,
      reason: "rolled_back",
      ended_by: "system",
    });
  });
});
