import { teamBudgetStatusSchema } from "@sdgate/shared";
import { strictly } from "@sdgate/shared/testing";
import { describe, expect, it } from "vitest";
import { generate, uniquePrompt } from "../../test-support/harness.ts";
import { asAdmin, auditRowOf, expectJson, newTeam, person } from "../admin-people/testing.ts";

describe("a team's monthly budget", () => {
  it("is set, read and removed by an admin, each change audited with before and after", async () => {
    const team = await newTeam();
    const path = `/admin/teams/${team.id}/budget`;
    const none = await expectJson(await asAdmin(path), 200);
    expect(strictly(teamBudgetStatusSchema).parse(none)).toMatchObject({ team_id: team.id, budget: null });
    const set = await asAdmin(path, { method: "PUT", json: { monthly_credits: 5_000, soft_percent: 50 } });
    expect(await expectJson(set.clone(), 200)).toMatchObject({
      budget: { team_id: team.id, monthly_credits: 5_000, soft_percent: 50, alert_webhook_url: null },
      usage: { spent: 0, reserved: 0, remaining: 5_000 },
    });
    expect(await auditRowOf(set)).toMatchObject({
      actor: "break_glass",
      action: "budget.set",
      before: null,
      after: { monthly_credits: 5_000, soft_percent: 50 },
    });
    const removed = await asAdmin(path, { method: "DELETE" });
    expect(await expectJson(removed.clone(), 200)).toMatchObject({ budget: null });
    expect(await auditRowOf(removed)).toMatchObject({ action: "budget.remove", after: null });
  });

  it("refuses a bad budget naming the field, and an unknown team with 404", async () => {
    const team = await newTeam();
    const bad = await asAdmin(`/admin/teams/${team.id}/budget`, {
      method: "PUT",
      json: { monthly_credits: -1 },
    });
    expect(await expectJson(bad, 400)).toMatchObject({ error: { param: "monthly_credits" } });
    const unknown = await asAdmin("/admin/teams/team_0000000000000000/budget");
    expect(unknown.status).toBe(404);
  });

  it("is read by the team's own admin and by billing, and set only by a global admin", async () => {
    const team = await newTeam();
    const path = `/admin/teams/${team.id}/budget`;
    const lead = await person({ role: "team_admin", team });
    const billing = await person({ role: "billing", team: "global" });
    const admin = await person({ role: "admin", team: "global" });
    expect((await lead.call(path)).status).toBe(200);
    expect((await billing.call(path)).status).toBe(200);
    expect((await lead.call(path, { method: "PUT", json: { monthly_credits: 10 ** 9 } })).status).toBe(403);
    expect((await billing.call(path, { method: "PUT", json: { monthly_credits: 10 ** 9 } })).status).toBe(
      403,
    );
    expect((await lead.call(`${path}/alert-secret`)).status).toBe(403);
    expect((await admin.call(path, { method: "PUT", json: { monthly_credits: 10 } })).status).toBe(200);
    const secret = await expectJson<{ key: string }>(await admin.call(`${path}/alert-secret`), 200);
    expect(secret.key).toMatch(/^whsec_/);
  });

  it("refuses the team's keys with 402 budget_exceeded naming the team once it is spent", async () => {
    const team = await newTeam();
    await asAdmin(`/admin/teams/${team.id}/budget`, { method: "PUT", json: { monthly_credits: 1 } });
    const created = await expectJson<{ key: string }>(
      await asAdmin("/admin/keys", { method: "POST", json: { name: "team key", team_id: team.id } }),
      201,
    );
    const refused = await generate({ prompt: uniquePrompt(), steps: 4 }, { key: created.key });
    expect(refused.status).toBe(402);
    const body = (await refused.json()) as { error: { code: string; param: string; message: string } };
    expect(body.error).toMatchObject({ code: "budget_exceeded", param: "team_monthly_credits" });
    expect(body.error.message).toContain(team.name);
  });
});
