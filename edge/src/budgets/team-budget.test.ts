import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createKey } from "../keys/testing.ts";
import { type Envelope, edgeEnv, generate, uniquePrompt } from "../test-support/harness.ts";
import { readTeamBudget } from "./service.ts";
import type { TeamBudget } from "./team-budget.ts";
import { budgetConfig, keyOfTeam, teamWithBudget } from "./testing.ts";

function countStatuses(responses: Response[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const res of responses) counts[res.status] = (counts[res.status] ?? 0) + 1;
  return counts;
}

const usageOf = async (teamId: string) => (await readTeamBudget(budgetConfig(), teamId)).usage;

describe("a team's monthly budget, shared by its keys", () => {
  it("admits exactly what fits when two keys burst at once through POST /v1/images/generations", async () => {
    const team = await teamWithBudget({ monthly_credits: 100 });
    // One key told its team, one that learns it from D1 at its first generation.
    const keys = [await keyOfTeam(team.id), await keyOfTeam(team.id, {}, { tell: false })];
    const testEnv = edgeEnv();
    // 5 credits each: 40 requests, 20 fit.
    const responses = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        generate(
          { prompt: uniquePrompt("burst"), steps: 5 },
          { key: keys[i % 2]?.key ?? null, env: testEnv },
        ),
      ),
    );
    expect(countStatuses(responses)).toEqual({ 200: 20, 402: 20 });
    // Every refusal is the team's. The key that learns its team from D1 is held to the same budget:
    // were it not, its 20 would all be served. Which key wins the 20 that fit is a race.
    const refused = responses.filter((res) => res.status === 402);
    const message = new RegExp(
      `^The monthly budget of team ${team.name} \\(${team.id}\\), 100 credits, has 0 left; this request needs 5\\. It starts again at \\d{4}-\\d{2}-01T00:00:00\\.000Z\\.$`,
    );
    for (const res of refused) {
      const { error } = (await res.json()) as Envelope;
      expect(error).toMatchObject({ code: "budget_exceeded", param: "team_monthly_credits" });
      expect(error.message).toMatch(message);
      expect(Number(res.headers.get("Retry-After"))).toBeGreaterThan(0);
    }
    expect(await usageOf(team.id)).toMatchObject({ spent: 100, reserved: 0, remaining: 0 });
  });

  it("gives the key's reservation back when the team refuses: all or nothing", async () => {
    const team = await teamWithBudget({ monthly_credits: 10 });
    const key = await keyOfTeam(team.id, { credits: 1_000, concurrency: 2 });
    const testEnv = edgeEnv();
    expect(
      (await generate({ prompt: uniquePrompt(), steps: 6 }, { key: key.key, env: testEnv })).status,
    ).toBe(200);
    const refused = await generate({ prompt: uniquePrompt(), steps: 6 }, { key: key.key, env: testEnv });
    expect(refused.status).toBe(402);
    const snapshot = await env.KEY_STATE.getByName(key.id).snapshot();
    expect(snapshot).toMatchObject({ inFlight: 0, creditsRemaining: 1_000 - 6 });
    // The key's concurrency slots are free: two more small requests fit in the team's 4 left.
    const small = await Promise.all(
      [1, 2].map(() => generate({ prompt: uniquePrompt(), steps: 2 }, { key: key.key, env: testEnv })),
    );
    expect(small.map((res) => res.status)).toEqual([200, 200]);
    expect(await usageOf(team.id)).toMatchObject({ spent: 10, reserved: 0 });
  });

  it("returns a failed generation's credits to the key's and the team's ledgers", async () => {
    const team = await teamWithBudget({ monthly_credits: 100 });
    const key = await keyOfTeam(team.id, { credits: 500, monthly_credits: 50 });
    const failing = edgeEnv(["flaky"]);
    const failed = await generate({ prompt: uniquePrompt(), steps: 7 }, { key: key.key, env: failing });
    expect(failed.status).toBeGreaterThanOrEqual(500);
    expect(await env.KEY_STATE.getByName(key.id).snapshot()).toMatchObject({
      inFlight: 0,
      creditsRemaining: 500,
      monthly: { remaining: 50 },
    });
    expect(await usageOf(team.id)).toMatchObject({ spent: 0, reserved: 0, remaining: 100 });
    // And a served one is charged to both.
    expect(
      (await generate({ prompt: uniquePrompt(), steps: 7 }, { key: key.key, env: edgeEnv() })).status,
    ).toBe(200);
    expect((await env.KEY_STATE.getByName(key.id).snapshot()).monthly?.remaining).toBe(43);
    expect(await usageOf(team.id)).toMatchObject({ spent: 7, reserved: 0 });
  });

  it("leaves keys without a team as they were", async () => {
    const team = await teamWithBudget({ monthly_credits: 1 });
    const key = await createKey({ limits: { credits: null } });
    const ok = await generate({ prompt: uniquePrompt(), steps: 5 }, { key: key.key, env: edgeEnv() });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("RateLimit")).not.toContain("monthly_credits");
    expect(await usageOf(team.id)).toMatchObject({ spent: 0, reserved: 0 });
  });

  it("starts again when the UTC month turns", async () => {
    const team = await teamWithBudget({ monthly_credits: 10 });
    const stub = env.TEAM_BUDGET.getByName(team.id);
    const setClock = (nowMs: number) =>
      runInDurableObject(stub, (instance: TeamBudget) => {
        instance.now = () => nowMs;
      });
    await setClock(Date.UTC(2026, 11, 31, 23, 0));
    expect(await stub.reserve("r1", "key_a", 10)).toEqual({ ok: true });
    await stub.settle("r1", "key_a", 10);
    const refused = await stub.reserve("r2", "key_a", 1);
    expect(refused).toMatchObject({
      ok: false,
      refusal: {
        teamId: team.id,
        credits: 10,
        remaining: 0,
        resetsAtMs: Date.UTC(2027, 0, 1),
        retryAfterS: 3_600,
      },
    });
    await setClock(Date.UTC(2027, 0, 1, 0, 0, 1));
    expect(await stub.reserve("r3", "key_a", 10)).toEqual({ ok: true });
    expect((await stub.usage()).usage).toMatchObject({
      month: "2027-01",
      spent: 0,
      reserved: 10,
      remaining: 0,
    });
  });
});
