import { teamPolicyViewSchema } from "@sdgate/shared";
import { strictly } from "@sdgate/shared/testing";
import { describe, expect, it } from "vitest";
import { generate, uniquePrompt } from "../../test-support/harness.ts";
import { asAdmin, auditRowOf, expectJson, newTeam, person } from "../admin-people/testing.ts";

const RULES = [{ id: "no-logos", kind: "blocked_terms", terms: ["logo"] }];

describe("a team's prompt policy", () => {
  it("is set, read and removed by an admin, audited with before and after, and applies to the team's keys", async () => {
    const team = await newTeam();
    const path = `/admin/teams/${team.id}/policy`;
    const none = await expectJson(await asAdmin(path), 200);
    expect(strictly(teamPolicyViewSchema).parse(none)).toMatchObject({ policy: null, updated_by: null });
    const set = await asAdmin(path, { method: "PUT", json: { rules: RULES } });
    expect(await expectJson(set.clone(), 200)).toMatchObject({
      policy: { scope: { team_id: team.id }, rules: [{ id: "no-logos" }], record_prompt: false },
      updated_by: "break_glass",
    });
    expect(await auditRowOf(set)).toMatchObject({
      action: "policy.set",
      before: null,
      after: { rules: [{ id: "no-logos" }] },
    });
    const { key } = await expectJson<{ key: string }>(
      await asAdmin("/admin/keys", { method: "POST", json: { name: "policed", team_id: team.id } }),
      201,
    );
    const refused = await generate({ prompt: `a ${uniquePrompt()} logo` }, { key });
    expect(await expectJson(refused, 403)).toMatchObject({
      error: { code: "policy_violation", param: "prompt" },
    });
    const removed = await asAdmin(path, { method: "DELETE" });
    expect(await expectJson(removed.clone(), 200)).toMatchObject({ policy: null });
    expect(await auditRowOf(removed)).toMatchObject({ action: "policy.remove", after: null });
  });

  it("refuses bad rules naming the field, and an unknown team with 404", async () => {
    const team = await newTeam();
    const bad = await asAdmin(`/admin/teams/${team.id}/policy`, {
      method: "PUT",
      json: {
        rules: [
          { id: "x", kind: "blocked_terms", terms: [] },
          { id: "x", kind: "max_steps", max: 10 },
        ],
      },
    });
    expect(await expectJson(bad, 400)).toMatchObject({ error: { param: expect.stringMatching(/^rules/) } });
    expect((await asAdmin("/admin/teams/team_0000000000000000/policy")).status).toBe(404);
  });

  it("is read by the team's own people, and set only by a global admin", async () => {
    const team = await newTeam();
    const path = `/admin/teams/${team.id}/policy`;
    const lead = await person({ role: "team_admin", team });
    const other = await person({ role: "team_admin", team: await newTeam() });
    expect((await lead.call(path)).status).toBe(200);
    expect((await other.call(path)).status).toBe(403);
    expect((await lead.call(path, { method: "PUT", json: { rules: [] } })).status).toBe(403);
    expect((await lead.call(path, { method: "DELETE" })).status).toBe(403);
  });
});
