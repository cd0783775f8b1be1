import { type ErrorEnvelope, teamModelsViewSchema } from "@sdgate/shared";
import { strictly } from "@sdgate/shared/testing";
import { describe, expect, it } from "vitest";
import { callsTo, generate, uniquePrompt } from "../../test-support/harness.ts";
import { asRegistryAdmin, freshTinyAlias, registryEdge } from "../admin-models/testing.ts";
import { auditRowOf, expectJson, newTeam, person } from "../admin-people/testing.ts";

describe("a team's model grants", () => {
  it("are set and read by an admin, audited with before and after, and bind the team's keys", async () => {
    const granted = await freshTinyAlias();
    const other = await freshTinyAlias();
    const team = await newTeam();
    const path = `/admin/teams/${team.id}/models`;
    const all = await expectJson(await asRegistryAdmin(path), 200);
    expect(strictly(teamModelsViewSchema).parse(all)).toEqual({
      object: "team.models",
      team_id: team.id,
      models: null,
    });
    const { key } = await expectJson<{ key: string }>(
      await asRegistryAdmin("/admin/keys", { method: "POST", json: { name: "granted", team_id: team.id } }),
      201,
    );
    const env = registryEdge();

    const set = await asRegistryAdmin(path, { method: "PUT", json: { models: [`tiny@${granted.alias}`] } });
    expect(await expectJson(set.clone(), 200)).toMatchObject({ models: [`tiny@${granted.alias}`] });
    expect(await auditRowOf(set)).toMatchObject({
      action: "grants.set",
      before: null,
      after: [`tiny@${granted.alias}`],
    });
    expect(await expectJson(await asRegistryAdmin(path), 200)).toMatchObject({
      models: [`tiny@${granted.alias}`],
    });
    const prompt = uniquePrompt();
    const refused = await generate({ prompt, model: `tiny@${other.alias}` }, { key, env });
    const { error } = await expectJson<ErrorEnvelope>(refused, 403);
    expect(error).toMatchObject({ code: "model_not_granted", param: "model" });
    expect(error.message).toContain(`'tiny@${other.alias}'`);
    expect(error.message).toContain(team.id);
    expect(await callsTo("healthy", prompt)).toEqual([]);
    const ok = await generate({ prompt: uniquePrompt(), model: `tiny@${granted.alias}` }, { key, env });
    expect(ok.status).toBe(200);

    const widened = await asRegistryAdmin(path, { method: "PUT", json: { models: ["tiny"] } });
    expect(await auditRowOf(widened)).toMatchObject({ before: [`tiny@${granted.alias}`], after: ["tiny"] });
    const now = await generate({ prompt: uniquePrompt(), model: `tiny@${other.alias}` }, { key, env });
    expect(now.status).toBe(200);
    const everything = await asRegistryAdmin(path, { method: "PUT", json: { models: null } });
    expect(await expectJson(everything, 200)).toMatchObject({ models: null });
  });

  it("refuses a grant of what the registry does not hold, naming the field, and an unknown team", async () => {
    const team = await newTeam();
    const path = `/admin/teams/${team.id}/models`;
    for (const models of [["no-such-model"], ["tiny@v999999"], ["tiny@V1"], "tiny", [3]]) {
      const refused = await asRegistryAdmin(path, { method: "PUT", json: { models } });
      expect(await expectJson(refused, 400)).toMatchObject({
        error: { code: "invalid_request", param: expect.stringMatching(/^models/) },
      });
    }
    expect(await expectJson(await asRegistryAdmin(path), 200)).toMatchObject({ models: null });
    const unknown = await asRegistryAdmin("/admin/teams/team_0000000000000000/models", {
      method: "PUT",
      json: { models: null },
    });
    expect(unknown.status).toBe(404);
  });

  it("are read by the team's own people, and set only by a global admin", async () => {
    const team = await newTeam();
    const path = `/admin/teams/${team.id}/models`;
    const lead = await person({ role: "team_admin", team });
    const other = await person({ role: "team_admin", team: await newTeam() });
    expect((await lead.call(path)).status).toBe(200);
    expect((await other.call(path)).status).toBe(403);
    expect((await lead.call(path, { method: "PUT", json: { models: [] } })).status).toBe(403);
  });
});
