import { env } from "cloudflare:workers";
import { type UsageReport, usageReportSchema } from "@sdgate/shared";
import { strictly } from "@sdgate/shared/testing";
import { describe, expect, it } from "vitest";
import { AUDIT_LOG_NAME } from "../audit/index.ts";
import { auditGeneration } from "../test-support/audit-entries.ts";
import { fleetEnv, post } from "../test-support/fleet.ts";
import { uniquePrompt } from "../test-support/harness.ts";
import { asAdmin, expectJson, newTeam, person, type TestPerson } from "./admin-people/testing.ts";

const asReport = (body: unknown): UsageReport => strictly(usageReportSchema).parse(body);

async function usageAs(who: TestPerson | "admin", query: string): Promise<UsageReport> {
  const path = `/admin/usage?${query}`;
  return asReport(await expectJson(await (who === "admin" ? asAdmin(path) : who.call(path)), 200));
}

/** A key of `teamId` made by `maker` (a person with `keys.create` there): its secret and id. */
async function teamKey(maker: TestPerson, teamId: string): Promise<{ key: string; id: string }> {
  const res = await maker.call("/admin/keys", {
    method: "POST",
    json: { name: "usage key", team_id: teamId },
  });
  return expectJson<{ key: string; id: string }>(res, 201);
}

describe("GET /admin/usage by team, person, model and backend", () => {
  it("reports images, backend seconds and what the cache saved, grouped by each", async () => {
    const team = await newTeam("usage");
    const developer = await person({ role: "developer", team });
    const { key, id } = await teamKey(developer, team.id);
    const seeded = { prompt: uniquePrompt(), seed: 41, n: 2 };
    expect((await post(seeded, key, fleetEnv(["healthy"]))).headers.get("X-Cache")).toBe("MISS");
    expect((await post(seeded, key, fleetEnv(["healthy"]))).headers.get("X-Cache")).toBe("HIT");
    expect((await post({ prompt: uniquePrompt() }, key, fleetEnv(["down"]))).status).toBeGreaterThanOrEqual(
      500,
    );
    const query = `team_id=${team.id}`;
    // The audit rows arrive in batches and the runs in the background, a moment after the answers.
    await expect
      .poll(async () => (await usageAs("admin", `${query}&group_by=person`)).totals, { timeout: 8000 })
      .toMatchObject({ requests: 3, images: 4, cache_hits: 1 });
    const byPerson = await usageAs("admin", `${query}&group_by=person`);
    expect(byPerson).toMatchObject({ view: "full", team_ids: [team.id] });
    expect(byPerson.data.map((row) => [row.group, row.label])).toEqual([[developer.id, "Test Person"]]);
    const { totals } = byPerson;
    expect(totals).toMatchObject({ succeeded: 2, failed: 1 });
    // The hit replayed the miss: it saved what the miss was charged, the only credits charged.
    expect(totals.credits).toBeGreaterThan(0);
    expect(totals.saved_credits).toBe(totals.credits);
    expect(totals.gpu_seconds).toBeGreaterThan(0);
    expect(totals.saved_gpu_seconds).toBeGreaterThan(0);

    const byTeam = await usageAs("admin", `${query}&group_by=team`);
    expect(byTeam.data.map((row) => [row.group, row.label])).toEqual([[team.id, team.name]]);
    const byKey = await usageAs("admin", `${query}&group_by=key`);
    expect(byKey.data.map((row) => [row.group, row.label])).toEqual([[id, "usage key"]]);
    const byModel = await usageAs("admin", `${query}&group_by=model`);
    expect(byModel.data).toHaveLength(1);
    expect(byModel.data[0]).toMatchObject({ requests: 3, images: 4 });
    expect(byModel.data[0]?.group).toEqual(expect.any(String));
    const byBackend = await usageAs("admin", `${query}&group_by=backend`);
    // The replay ran on no backend: its row is the null group, with no backend seconds.
    expect(byBackend.data.find((row) => row.group === null)).toMatchObject({ cache_hits: 1, gpu_seconds: 0 });
    expect(byBackend.data.some((row) => row.group !== null && (row.gpu_seconds ?? 0) > 0)).toBe(true);
  });

  it("shows a team member their teams' keys only, and refuses another team's", async () => {
    const [ours, theirs] = [await newTeam("ours"), await newTeam("theirs")];
    const lead = await person({ role: "team_admin", team: ours });
    const other = await person({ role: "team_admin", team: theirs });
    const [mine, notMine] = [await teamKey(lead, ours.id), await teamKey(other, theirs.id)];
    const day = "2022-05-06T07:00:00.000Z";
    await env.AUDIT_LOG.getByName(AUDIT_LOG_NAME).appendAll([
      auditGeneration(mine.id, day, { cost: 3 }),
      auditGeneration(notMine.id, day, { cost: 40 }),
    ]);
    const range = "from=2022-05-06&to=2022-05-07&group_by=key";
    const seen = await usageAs(lead, range);
    expect(seen).toMatchObject({ team_ids: [ours.id], view: "full", totals: { credits: 3 } });
    expect(seen.data.map((row) => row.group)).toEqual([mine.id]);
    // Naming the other team's key or the team itself shows nothing of it.
    expect((await usageAs(lead, `${range}&key_id=${notMine.id}`)).data).toEqual([]);
    const refused = await lead.call(`/admin/usage?${range}&team_id=${theirs.id}`);
    expect(await expectJson(refused, 403)).toMatchObject({
      error: { code: "insufficient_scope", param: "team_id" },
    });
    const all = await usageAs("admin", range);
    expect(all.team_ids).toBeNull();
    expect(all.data.map((row) => row.group)).toEqual(expect.arrayContaining([mine.id, notMine.id]));
    const nobody = await person();
    expect((await nobody.call(`/admin/usage?${range}`)).status).toBe(403);
  });

  it("gives the billing role money only: credits and counts, no time, no grouping by person or backend", async () => {
    const team = await newTeam("billed");
    const lead = await person({ role: "team_admin", team });
    const billing = await person({ role: "billing", team });
    const { id } = await teamKey(lead, team.id);
    await env.AUDIT_LOG.getByName(AUDIT_LOG_NAME).appendAll([
      auditGeneration(id, "2022-07-08T09:00:00.000Z", { cost: 12, latency_ms: 900 }),
    ]);
    const range = "from=2022-07-08&to=2022-07-09";
    for (const groupBy of ["team", "key", "model", "metadata.cost_center"]) {
      const report = await usageAs(billing, `${range}&group_by=${groupBy}`);
      expect(report.view, groupBy).toBe("money");
      expect(report.totals).toMatchObject({
        requests: 1,
        credits: 12,
        gpu_seconds: null,
        mean_latency_ms: null,
      });
      expect(report.data.every((row) => row.gpu_seconds === null && row.saved_gpu_seconds === null)).toBe(
        true,
      );
    }
    for (const groupBy of ["person", "backend"]) {
      const res = await billing.call(`/admin/usage?${range}&group_by=${groupBy}`);
      expect(await expectJson(res, 403), groupBy).toMatchObject({
        error: { code: "insufficient_scope", param: "group_by" },
      });
    }
    // The team's own admin sees the same rows in full.
    expect(await usageAs(lead, `${range}&group_by=backend`)).toMatchObject({
      view: "full",
      totals: { credits: 12, gpu_seconds: 0.9, mean_latency_ms: 900 },
    });
  });
});
