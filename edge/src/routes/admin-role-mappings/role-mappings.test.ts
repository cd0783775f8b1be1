import type { DeprovisionedGroup, RoleMappingChangeView, RoleMappingList } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import { asAdmin, auditRowOf, expectJson, newTeam, person, unique } from "../admin-people/testing.ts";

const error = (body: Record<string, unknown>) => body.error as { code: string; param: string | null };
const me = async (who: { call: (path: string) => Promise<Response> }) =>
  expectJson<{ roles: string[]; teams: { id: string; role: string }[] }>(await who.call("/v1/me"), 200);

describe("role mappings with the admin token", () => {
  it("gives a group's members the role at once, changes it, and takes it away, each audited", async () => {
    const team = await newTeam();
    const group = unique("ml-eng");
    const ada = await person(null, [group]);
    const created = await asAdmin("/admin/role-mappings", {
      method: "POST",
      json: { idp_group: group, team_id: team.id, role: "developer" },
    });
    const rule = await expectJson<RoleMappingChangeView>(created, 201);
    expect(rule).toMatchObject({
      id: expect.stringMatching(/^map_[0-9a-f]{16}$/),
      idp_group: group,
      team_id: team.id,
      role: "developer",
      created_by: "break_glass",
      people_changed: [ada.id],
    });
    expect((await me(ada)).teams).toEqual([expect.objectContaining({ id: team.id, role: "developer" })]);
    const { people_changed: _, ...mapping } = rule;
    expect(await auditRowOf(created)).toMatchObject({
      action: "mapping.create",
      before: null,
      after: mapping,
    });

    const list = await expectJson<RoleMappingList>(await asAdmin("/admin/role-mappings"), 200);
    expect(list.data).toContainEqual(mapping);

    const updated = await asAdmin(`/admin/role-mappings/${rule.id}`, {
      method: "PATCH",
      json: { role: "viewer" },
    });
    expect(await expectJson(updated, 200)).toMatchObject({ role: "viewer", people_changed: [ada.id] });
    expect((await me(ada)).teams).toEqual([expect.objectContaining({ id: team.id, role: "viewer" })]);
    expect(await auditRowOf(updated)).toMatchObject({
      action: "mapping.update",
      before: mapping,
      after: { ...mapping, role: "viewer" },
    });

    const deleted = await asAdmin(`/admin/role-mappings/${rule.id}`, { method: "DELETE" });
    expect(await expectJson(deleted, 200)).toMatchObject({
      id: rule.id,
      deleted: true,
      people_changed: [ada.id],
    });
    expect((await me(ada)).teams).toEqual([]);
    expect(await auditRowOf(deleted)).toMatchObject({
      action: "mapping.delete",
      before: { ...mapping, role: "viewer" },
      after: null,
    });
    expect((await asAdmin(`/admin/role-mappings/${rule.id}`, { method: "DELETE" })).status).toBe(404);
  });

  it("answers 409 for a second rule for a group and scope, 404 for an unknown team, 400 naming a bad field", async () => {
    const group = unique("dup");
    const body = { idp_group: group, role: "viewer" };
    await expectJson(await asAdmin("/admin/role-mappings", { method: "POST", json: body }), 201);
    const again = await asAdmin("/admin/role-mappings", {
      method: "POST",
      json: { ...body, role: "billing" },
    });
    expect(error(await expectJson(again, 409))).toMatchObject({ code: "conflict", param: "idp_group" });
    const noTeam = await asAdmin("/admin/role-mappings", {
      method: "POST",
      json: { ...body, team_id: "team_0123456789abcdef" },
    });
    expect(error(await expectJson(noTeam, 404)).param).toBe("team_id");
    const team = await newTeam();
    const cases: [unknown, string][] = [
      [{ ...body, team_id: team.id, role: "admin" }, "role"],
      [{ ...body, role: "owner" }, "role"],
      [{ ...body, idp_group: " spaced" }, "idp_group"],
      [{ ...body, idp_group: "" }, "idp_group"],
      [{ ...body, team_id: "search" }, "team_id"],
    ];
    for (const [json, param] of cases)
      expect(
        error(await expectJson(await asAdmin("/admin/role-mappings", { method: "POST", json }), 400)).param,
      ).toBe(param);
    const patch = await asAdmin("/admin/role-mappings/map_0123456789abcdef", {
      method: "PATCH",
      json: { role: "viewer" },
    });
    expect(error(await expectJson(patch, 404)).param).toBe("id");
  });
});

describe("who may edit role mappings", () => {
  it("no one gives more than they hold: a global team admin may not make an admin rule", async () => {
    const lead = await person({ role: "team_admin", team: "global" });
    const res = await lead.call("/admin/role-mappings", {
      method: "POST",
      json: { idp_group: unique("escalate"), role: "admin" },
    });
    expect(res.status).toBe(403);
    expect(error(await res.json()).param).toBe("role");
    const fine = await lead.call("/admin/role-mappings", {
      method: "POST",
      json: { idp_group: unique("fine"), role: "developer" },
    });
    expect(fine.status).toBe(201);
    const adminRule = await expectJson<{ id: string }>(
      await asAdmin("/admin/role-mappings", {
        method: "POST",
        json: { idp_group: unique("admins"), role: "admin" },
      }),
      201,
    );
    expect((await lead.call(`/admin/role-mappings/${adminRule.id}`, { method: "DELETE" })).status).toBe(403);
  });

  it("a team role reaches no role mapping", async () => {
    const team = await newTeam();
    const lead = await person({ role: "team_admin", team });
    const res = await lead.call("/admin/role-mappings", {
      method: "POST",
      json: { idp_group: unique("g"), team_id: team.id, role: "developer" },
    });
    expect(res.status).toBe(403);
  });
});

describe("deprovisioning a group", () => {
  it("deletes its rules, ends what it gave at once and signs out the people it leaves with nothing", async () => {
    const team = await newTeam();
    const group = unique("contractors");
    const rule = await expectJson<RoleMappingChangeView>(
      await asAdmin("/admin/role-mappings", {
        method: "POST",
        json: { idp_group: group, team_id: team.id, role: "developer" },
      }),
      201,
    );
    const only = await person(null, [group]);
    const kept = await person({ role: "viewer", team: "global" }, [group]);
    expect((await me(only)).teams).toHaveLength(1);
    const res = await asAdmin("/admin/groups/deprovision", { method: "POST", json: { idp_group: group } });
    const done = await expectJson<DeprovisionedGroup>(res, 200);
    const { people_changed: _, ...mapping } = rule;
    expect(done).toMatchObject({ idp_group: group, role_mappings_deleted: [mapping] });
    expect(done.people_changed.sort()).toEqual([only.id, kept.id].sort());
    expect(done.sessions_ended).toEqual([{ user_id: only.id, sessions_revoked: 1 }]);
    expect((await only.call("/v1/me")).status).toBe(401);
    expect(await me(kept)).toMatchObject({ roles: ["viewer"], teams: [] });
    const row = await auditRowOf(res);
    expect(row).toMatchObject({
      action: "group.deprovision",
      before: { role_mappings: [mapping] },
      after: { role_mappings: [] },
    });
    expect(row.detail).toMatchObject({ idp_group: group, sessions_ended: only.id });
    const again = await asAdmin("/admin/groups/deprovision", { method: "POST", json: { idp_group: group } });
    expect(await expectJson(again, 200)).toMatchObject({ role_mappings_deleted: [], people_changed: [] });
  });
});
