import type { RunList, Sweep, SweepEstimate, SweepList } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import { sweepEnv, waitForSweep } from "../sweeps/testing.ts";
import { request, streamCalls, uniqueJobPrompt } from "../test-support/jobs-harness.ts";
import { STREAM_STEP_MS } from "../test-support/stream-fakes.ts";
import { asAdmin, expectJson, newTeam } from "./admin-people/testing.ts";

async function teamKey(teamId: string, limits: Record<string, number> = {}): Promise<string> {
  const body = { name: "sweeps", team_id: teamId, limits: { requests_per_minute: 10_000, ...limits } };
  return (
    await expectJson<{ key: string }>(await asAdmin("/admin/keys", { method: "POST", json: body }), 201)
  ).key;
}

const testEnv = sweepEnv;
const sweeps = (key: string, method: string, path = "", body?: unknown, headers?: Record<string, string>) =>
  request(method, `/v1/sweeps${path}`, key, testEnv, {
    ...(body === undefined ? {} : { body }),
    ...(headers === undefined ? {} : { headers }),
  });

function grid(prompt: string, extra: Record<string, unknown> = {}) {
  return {
    request: { prompt, size: "64x64", steps: 2 },
    axes: [
      { field: "steps", values: [2, 3] },
      { field: "seed", values: [11, 12] },
    ],
    ...extra,
  };
}

describe("sweeps: the happy path", () => {
  it("prices a 2×2 grid, runs every cell as a job on the fleet and fills in with runs of the experiment", async () => {
    const team = await newTeam();
    const key = await teamKey(team.id);
    const prompt = uniqueJobPrompt("a sweep");
    const estimate = await expectJson<SweepEstimate>(
      await sweeps(key, "POST", "", grid(prompt, { dry_run: true })),
      200,
    );
    expect(estimate).toMatchObject({ object: "sweep.estimate", budget_remaining: null, refusal: null });
    expect(estimate.price.cells).toBe(4);
    expect(estimate.price.credits).toBeGreaterThan(0);
    // A dry run stores nothing.
    expect((await expectJson<SweepList>(await sweeps(key, "GET"), 200)).data).toHaveLength(0);

    const created = await sweeps(key, "POST", "", grid(prompt), { "Sdgate-Experiment": "sweep tests" });
    const sweep = await expectJson<Sweep>(created, 201);
    expect(created.headers.get("location")).toBe(`/v1/sweeps/${sweep.id}`);
    expect(sweep.price).toEqual(estimate.price);
    expect(sweep.cells.map((cell) => [cell.coordinates, cell.request.steps, cell.request.seed])).toEqual([
      [{ x: 0, y: 0, z: null }, 2, 11],
      [{ x: 1, y: 0, z: null }, 3, 11],
      [{ x: 0, y: 1, z: null }, 2, 12],
      [{ x: 1, y: 1, z: null }, 3, 12],
    ]);
    expect(sweep.cells.every((cell) => cell.job_id?.startsWith("job_"))).toBe(true);

    const done = await waitForSweep(key, sweep.id);
    expect(done.totals).toMatchObject({ succeeded: 4, failed: 0, pending: 0, running: 0 });
    expect(done.cells.map((cell) => cell.run_id)).toEqual(sweep.cells.map((cell) => cell.job_id));
    expect(done.cells[3]?.images.map((image) => image.seed)).toEqual([12]);
    // Each cell reached the backend with its own steps and seed.
    const calls = await streamCalls("stream", prompt);
    expect(calls).toHaveLength(4);
    const runs = await expectJson<RunList>(
      await request("GET", "/v1/runs?experiment=sweep%20tests", key, testEnv),
      200,
    );
    expect(runs.data.filter((run) => run.prompt === prompt)).toHaveLength(4);
    const listed = await expectJson<SweepList>(await sweeps(key, "GET"), 200);
    expect(listed.data[0]).toMatchObject({
      id: sweep.id,
      experiment: "sweep tests",
      totals: { succeeded: 4 },
    });
  });

  it("leaves cells past the key's concurrency pending, and resume submits them without rerunning the rest", async () => {
    const team = await newTeam();
    const key = await teamKey(team.id, { concurrency: 2 });
    const sweep = await expectJson<Sweep>(await sweeps(key, "POST", "", grid(uniqueJobPrompt())), 201);
    expect(sweep.totals).toMatchObject({ running: 2, pending: 2 });
    expect(sweep.cells.filter((cell) => cell.status === "pending").map((cell) => cell.error_code)).toEqual([
      "rate_limited",
      "rate_limited",
    ]);
    const half = await waitForSweep(key, sweep.id);
    expect(half.totals).toMatchObject({ succeeded: 2, pending: 2 });
    const finished = half.cells.filter((cell) => cell.status === "succeeded").map((cell) => cell.job_id);
    const resumed = await expectJson<Sweep>(await sweeps(key, "POST", `/${sweep.id}/resume`), 200);
    expect(resumed.totals).toMatchObject({ succeeded: 2, running: 2, pending: 0 });
    const done = await waitForSweep(key, sweep.id);
    expect(done.totals.succeeded).toBe(4);
    // The finished cells kept their jobs: resume never ran them again.
    expect(done.cells.filter((cell) => finished.includes(cell.job_id)).length).toBe(2);
  });

  it("cancels running cells and resumes only the cancelled ones", async () => {
    const team = await newTeam();
    const key = await teamKey(team.id);
    // The second cell runs long enough (150 steps) to cancel while it runs.
    expect(150 * STREAM_STEP_MS).toBeGreaterThan(2_000);
    const body = grid(uniqueJobPrompt(), { axes: [{ field: "steps", values: [2, 150] }] });
    const sweep = await expectJson<Sweep>(await sweeps(key, "POST", "", body), 201);
    const firstDone = await waitForSweep(key, sweep.id, (s) => s.cells[0]?.status === "succeeded");
    const cancelled = await expectJson<Sweep>(await sweeps(key, "POST", `/${sweep.id}/cancel`), 200);
    expect(cancelled.cancelled_at).not.toBeNull();
    expect(cancelled.cells.map((cell) => cell.status)).toEqual(["succeeded", "cancelled"]);
    const resumed = await expectJson<Sweep>(await sweeps(key, "POST", `/${sweep.id}/resume`), 200);
    expect(resumed.cancelled_at).toBeNull();
    expect(resumed.cells[0]?.job_id).toBe(firstDone.cells[0]?.job_id);
    expect(resumed.cells[1]?.job_id).not.toBe(sweep.cells[1]?.job_id);
    expect(resumed.cells[1]?.status).toBe("running");
    await sweeps(key, "POST", `/${sweep.id}/cancel`);
  });
});

describe("sweeps: refusals", () => {
  it("names the axis and value of a bad cell, and a bad body's field", async () => {
    const key = await teamKey((await newTeam()).id);
    const bad = grid("a cat", { axes: [{ field: "steps", values: [2, 0] }] });
    const refused = await expectJson<{ error: { param: string; message: string } }>(
      await sweeps(key, "POST", "", bad),
      400,
    );
    expect(refused.error.param).toBe("axes.0.values.1");
    expect(refused.error.message).toContain("steps 0");
    const past = await sweeps(
      key,
      "POST",
      "",
      grid("a cat", { axes: [{ field: "steps", values: [2, 900] }] }),
    );
    const pastError = (await expectJson<{ error: { param: string; message: string } }>(past, 400)).error;
    expect(pastError).toMatchObject({ param: "axes.0.values.1" });
    expect(pastError.message).toContain("at most 150");
    const unknown = await sweeps(key, "POST", "", {
      ...grid("a cat"),
      axes: [{ field: "lora", values: [1] }],
    });
    expect((await expectJson<{ error: { param: string } }>(unknown, 400)).error.param).toBe("axes.0.field");
  });

  it("refuses a grid past max_credits or the team's budget with 402, naming the cost and what is left", async () => {
    const team = await newTeam();
    const key = await teamKey(team.id);
    const overCap = await sweeps(key, "POST", "", grid("a cat", { max_credits: 1 }));
    const capError = (
      await expectJson<{ error: { code: string; param: string; message: string } }>(overCap, 402)
    ).error;
    expect(capError).toMatchObject({ code: "budget_exceeded", param: "max_credits" });
    expect(capError.message).toMatch(/cost \d+ credits, more than max_credits \(1\)/);

    await expectJson(
      await asAdmin(`/admin/teams/${team.id}/budget`, { method: "PUT", json: { monthly_credits: 3 } }),
      200,
    );
    const estimate = await expectJson<SweepEstimate>(
      await sweeps(key, "POST", "", grid("a cat", { dry_run: true })),
      200,
    );
    expect(estimate.budget_remaining).toBe(3);
    expect(estimate.refusal).toContain("the team's budget has 3 left this month");
    const overBudget = await sweeps(key, "POST", "", grid("a cat"));
    const error = (await expectJson<{ error: { code: string; message: string } }>(overBudget, 402)).error;
    expect(error.code).toBe("budget_exceeded");
    expect(error.message).toContain(`cost ${estimate.price.credits} credits`);
    expect((await expectJson<SweepList>(await sweeps(key, "GET"), 200)).data).toHaveLength(0);
  });

  it("keeps a team's sweeps from every other team: 404, not listed", async () => {
    const key = await teamKey((await newTeam()).id);
    const outsider = await teamKey((await newTeam()).id);
    const sweep = await expectJson<Sweep>(await sweeps(key, "POST", "", grid(uniqueJobPrompt())), 201);
    for (const [method, path] of [
      ["GET", ""],
      ["POST", "/resume"],
      ["POST", "/cancel"],
    ] as const) {
      const res = await sweeps(outsider, method, `/${sweep.id}${path}`);
      expect((await expectJson<{ error: { code: string } }>(res, 404)).error.code).toBe("not_found");
    }
    expect((await expectJson<SweepList>(await sweeps(outsider, "GET"), 200)).data).toHaveLength(0);
    // Another key of the same team sees and drives it.
    const teammate = await teamKey(sweep.team_id ?? "");
    expect((await sweeps(teammate, "GET", `/${sweep.id}`)).status).toBe(200);
    await waitForSweep(key, sweep.id);
  });
});
