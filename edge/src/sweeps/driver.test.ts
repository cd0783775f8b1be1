import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { Sweep } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import { onSchedule } from "../backends/scheduled.ts";
import { asAdmin, expectJson } from "../routes/admin-people/testing.ts";
import { creditsLeft, streamCalls, uniqueJobPrompt } from "../test-support/jobs-harness.ts";
import { driveSweeps } from "./driver.ts";
import { background, stepsGrid, sweepEnv, sweeps, teamKey, waitForSweep } from "./testing.ts";

// The cron's other steps run too; the audit's retention is off so the shared audit chain is untouched.
const cronEnv = { ...sweepEnv, SDGATE_AUDIT_RETENTION_DAYS: "0" };

const finishedAt = async (id: string) =>
  (
    await env.DB.prepare("SELECT finished_at FROM sweeps WHERE id = ?")
      .bind(id)
      .first<{ finished_at: string | null }>()
  )?.finished_at;

const cellsOf = async (id: string) =>
  (
    await env.DB.prepare("SELECT state, error_code FROM sweep_cells WHERE sweep_id = ? ORDER BY idx")
      .bind(id)
      .all<{ state: string; error_code: string | null }>()
  ).results;

/** A sweep of `cells` cells by a key of concurrency 1: one cell running, the rest waiting. */
async function waitingSweep(cells: number, limits: Record<string, number> = {}) {
  const key = await teamKey({ concurrency: 1, ...limits });
  const prompt = uniqueJobPrompt("a driven sweep");
  const created = await expectJson<Sweep>(await sweeps(key.key, "POST", "", stepsGrid(prompt, cells)), 201);
  expect(created.totals).toMatchObject({ running: 1, pending: cells - 1 });
  // The first cell ends: the key's one slot is free, and no request is open.
  await waitForSweep(key.key, created.id);
  return { key, prompt, id: created.id };
}

describe("the sweep driver", () => {
  it("submits the cells the key's concurrency left waiting on the cron's turns, with no request, and finishes the sweep", async () => {
    const { key, prompt, id } = await waitingSweep(2);
    expect(await finishedAt(id)).toBeNull();
    await onSchedule(createScheduledController(), cronEnv);
    const done = await waitForSweep(key.key, id);
    expect(done.totals).toMatchObject({ succeeded: 2, pending: 0 });
    expect(done.cells[1]?.job_id).toMatch(/^job_/);
    // Each cell reached the backend once: the turn submitted only what was waiting.
    expect(await streamCalls("stream", prompt)).toHaveLength(2);
    await onSchedule(createScheduledController(), cronEnv);
    expect(await finishedAt(id)).not.toBeNull();
  });

  it("stops a revoked key's waiting cells with invalid_api_key, charging nothing", async () => {
    const { key, prompt, id } = await waitingSweep(3, { credits: 1_000_000 });
    const credits = await creditsLeft(key.id);
    await expectJson(await asAdmin(`/admin/keys/${key.id}`, { method: "DELETE" }), 200);
    await driveSweeps(sweepEnv, background);
    const cells = await env.DB.prepare(
      "SELECT state, error_code FROM sweep_cells WHERE sweep_id = ? ORDER BY idx",
    )
      .bind(id)
      .all<{ state: string; error_code: string | null }>();
    expect(cells.results.slice(1)).toEqual([
      { state: "refused", error_code: "invalid_api_key" },
      { state: "refused", error_code: "invalid_api_key" },
    ]);
    expect(await creditsLeft(key.id)).toBe(credits);
    expect(await streamCalls("stream", prompt)).toHaveLength(1);
    // Nothing left to come: the sweep is finished, not retried on every turn.
    await driveSweeps(sweepEnv, background);
    expect(await finishedAt(id)).not.toBeNull();
  });

  it("stops the waiting cells of a team past its monthly budget with budget_exceeded, charging nothing", async () => {
    const { key, prompt, id } = await waitingSweep(3, { credits: 1_000_000 });
    const credits = await creditsLeft(key.id);
    await expectJson(
      await asAdmin(`/admin/teams/${key.teamId}/budget`, { method: "PUT", json: { monthly_credits: 1 } }),
      200,
    );
    const turn = await driveSweeps(sweepEnv, background);
    expect(turn.stopped).toBeGreaterThanOrEqual(1);
    expect(await cellsOf(id)).toEqual([
      { state: "submitted", error_code: null },
      { state: "refused", error_code: "budget_exceeded" },
      { state: "refused", error_code: "budget_exceeded" },
    ]);
    expect(await creditsLeft(key.id)).toBe(credits);
    expect(await streamCalls("stream", prompt)).toHaveLength(1);
  });

  it("stops the waiting cells of a key whose credits are spent, rather than waiting on every turn", async () => {
    const { key, id } = await waitingSweep(2);
    await expectJson(
      await asAdmin(`/admin/keys/${key.id}`, { method: "PATCH", json: { limits: { credits: 0 } } }),
      200,
    );
    const turn = await driveSweeps(sweepEnv, background);
    expect(turn.stopped).toBeGreaterThanOrEqual(1);
    expect((await cellsOf(id))[1]).toEqual({ state: "refused", error_code: "rate_limited" });
  });

  it("submits at most its cap of cells per turn", async () => {
    const { key, id } = await waitingSweep(5, { concurrency: 1 });
    // Room for every cell from now on: only the cap holds the turn back.
    await expectJson(
      await asAdmin(`/admin/keys/${key.id}`, { method: "PATCH", json: { limits: { concurrency: 100 } } }),
      200,
    );
    const submitted = async () =>
      (
        await env.DB.prepare(
          "SELECT count(*) AS n FROM sweep_cells WHERE sweep_id = ? AND state = 'submitted'",
        )
          .bind(id)
          .first<{ n: number }>()
      )?.n ?? 0;
    let turns = 0;
    for (let before = await submitted(); before < 5 && turns < 10; turns++) {
      const turn = await driveSweeps(sweepEnv, background, 2);
      expect(turn.attempted).toBeLessThanOrEqual(2);
      const after = await submitted();
      expect(after - before).toBeLessThanOrEqual(2);
      before = after;
    }
    expect(await submitted()).toBe(5);
    // Four waiting cells, two a turn.
    expect(turns).toBeGreaterThanOrEqual(2);
  });
});
