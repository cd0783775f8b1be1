import { MAX_TEAM_NAME_CHARS, type MembershipView, type TeamMemberList, type TeamView } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import { MAX_TEAM_NAME_CHARS as DIRECTORY_MAX } from "../../identity/directory/index.ts";
import { createKey } from "../../keys/testing.ts";
import { asAdmin, auditRowOf, expectJson, newTeam, person, unique } from "../admin-people/testing.ts";

const error = (body: Record<string, unknown>) =>
  body.error as { code: string; param: string | null; message: string };

describe("teams with the admin token", () => {
  it("creates, reads, lists, renames and deletes a team, each change audited with before and after", async () => {
    const name = unique("Search");
    const created = await asAdmin("/admin/teams", { method: "POST", json: { name: `  ${name} ` } });
    const team = await expectJson<TeamView>(created, 201);
    expect(team).toMatchObject({ id: expect.stringMatching(/^team_[0-9a-f]{16}$/), name });
    expect(await auditRowOf(created)).toMatchObject({
      actor: "break_glass",
      action: "team.create",
      status: 201,
      before: null,
      after: team,
    });

    expect(await expectJson(await asAdmin(`/admin/teams/${team.id}`), 200)).toEqual(team);
    const list = await expectJson<{ data: TeamView[] }>(await asAdmin("/admin/teams"), 200);
    expect(list.data).toContainEqual(team);

    const renamed = await asAdmin(`/admin/teams/${team.id}`, {
      method: "PATCH",
      json: { name: `${name}-2` },
    });
    expect(await expectJson(renamed, 200)).toEqual({ ...team, name: `${name}-2` });
    expect(await auditRowOf(renamed)).toMatchObject({
      action: "team.rename",
      before: team,
      after: { ...team, name: `${name}-2` },
    });

    const deleted = await asAdmin(`/admin/teams/${team.id}`, { method: "DELETE" });
    expect(await expectJson(deleted, 200)).toEqual({ ...team, name: `${name}-2`, deleted: true });
    expect(await auditRowOf(deleted)).toMatchObject({
      action: "team.delete",
      before: { team: { id: team.id }, memberships: [], role_mapping_ids: [] },
      after: null,
    });
    expect((await asAdmin(`/admin/teams/${team.id}`)).status).toBe(404);
  });

  it("answers 409 for a name taken whatever its case, and 400 naming 'name' for a bad one", async () => {
    const team = await newTeam("Taken");
    const again = await asAdmin("/admin/teams", { method: "POST", json: { name: team.name.toUpperCase() } });
    expect(error(await expectJson(again, 409))).toMatchObject({ code: "conflict", param: "name" });
    expect((await auditRowOf(again)).status).toBe(409);
    const other = await newTeam("Other");
    const clash = await asAdmin(`/admin/teams/${other.id}`, { method: "PATCH", json: { name: team.name } });
    expect(error(await expectJson(clash, 409)).code).toBe("conflict");
    for (const name of ["", "   ", "x".repeat(MAX_TEAM_NAME_CHARS + 1), 7])
      expect(
        error(await expectJson(await asAdmin("/admin/teams", { method: "POST", json: { name } }), 400)).param,
      ).toBe("name");
    const control = await asAdmin("/admin/teams", { method: "POST", json: { name: "a\u0007b" } });
    expect(error(await expectJson(control, 400)).param).toBe("name");
    expect(MAX_TEAM_NAME_CHARS).toBe(DIRECTORY_MAX);
  });

  it("answers 404 for an unknown or malformed team id", async () => {
    expect((await asAdmin("/admin/teams/team_0123456789abcdef")).status).toBe(404);
    expect((await asAdmin("/admin/teams/nope")).status).toBe(404);
    const rename = await asAdmin("/admin/teams/team_0123456789abcdef", {
      method: "PATCH",
      json: { name: "x" },
    });
    expect(error(await expectJson(rename, 404)).param).toBe("id");
  });

  it("refuses (409) to delete a team that owns a key that works, then deletes it once the key is revoked", async () => {
    const team = await newTeam();
    const made = await asAdmin("/admin/keys", { method: "POST", json: { name: "owned", team_id: team.id } });
    const key = await expectJson<{ id: string }>(made, 201);
    const refused = await asAdmin(`/admin/teams/${team.id}`, { method: "DELETE" });
    expect(error(await expectJson(refused, 409)).code).toBe("conflict");
    await expectJson(await asAdmin(`/admin/keys/${key.id}`, { method: "DELETE" }), 200);
    expect((await asAdmin(`/admin/teams/${team.id}`, { method: "DELETE" })).status).toBe(200);
  });

  it("refuses a key for a team that does not exist (404 naming team_id)", async () => {
    const res = await asAdmin("/admin/keys", {
      method: "POST",
      json: { name: "orphan", team_id: "team_0123456789abcdef" },
    });
    expect(error(await expectJson(res, 404)).param).toBe("team_id");
    const bad = await asAdmin("/admin/keys", { method: "POST", json: { name: "x", team_id: "search" } });
    expect(error(await expectJson(bad, 400)).param).toBe("team_id");
    await createKey({ name: "no team still works" });
  });
});

describe("a team's members with the admin token", () => {
  it("adds, lists, re-roles and removes a member, each change audited with before and after", async () => {
    const team = await newTeam();
    const ada = await person();
    const added = await asAdmin(`/admin/teams/${team.id}/members`, {
      method: "POST",
      json: { user_id: ada.id, role: "developer" },
    });
    const membership = await expectJson<MembershipView>(added, 201);
    expect(membership).toMatchObject({
      user_id: ada.id,
      team_id: team.id,
      team_name: team.name,
      role: "developer",
      source_group: null,
    });
    expect(await auditRowOf(added)).toMatchObject({ action: "member.add", before: null, after: membership });

    const members = await expectJson<TeamMemberList>(await asAdmin(`/admin/teams/${team.id}/members`), 200);
    expect(members.data).toEqual([
      { ...membership, email: ada.email, name: "Test Person", disabled_at: null },
    ]);

    const path = `/admin/teams/${team.id}/members/${ada.id}`;
    const changed = await asAdmin(path, { method: "PATCH", json: { role: "team_admin" } });
    expect(await expectJson(changed, 200)).toEqual({ ...membership, role: "team_admin" });
    expect(await auditRowOf(changed)).toMatchObject({
      action: "member.update",
      before: membership,
      after: { ...membership, role: "team_admin" },
    });

    const removed = await asAdmin(path, { method: "DELETE" });
    expect(await expectJson(removed, 200)).toEqual({ ...membership, role: "team_admin", removed: true });
    expect(await auditRowOf(removed)).toMatchObject({
      action: "member.remove",
      before: { ...membership, role: "team_admin" },
      after: null,
    });
    expect((await asAdmin(path, { method: "DELETE" })).status).toBe(404);
  });

  it("answers 409 for a member already there, 404 naming what is unknown, 400 naming a bad field", async () => {
    const team = await newTeam();
    const ada = await person({ role: "viewer", team });
    const members = `/admin/teams/${team.id}/members`;
    const again = await asAdmin(members, { method: "POST", json: { user_id: ada.id, role: "developer" } });
    expect(error(await expectJson(again, 409))).toMatchObject({ code: "conflict", param: "user_id" });
    const nobody = await asAdmin(members, {
      method: "POST",
      json: { user_id: "usr_0123456789abcdef", role: "viewer" },
    });
    expect(error(await expectJson(nobody, 404)).param).toBe("user_id");
    const noTeam = await asAdmin("/admin/teams/team_0123456789abcdef/members", {
      method: "POST",
      json: { user_id: ada.id, role: "viewer" },
    });
    expect(error(await expectJson(noTeam, 404)).param).toBe("id");
    const admin = await asAdmin(members, { method: "POST", json: { user_id: ada.id, role: "admin" } });
    expect(error(await expectJson(admin, 400)).param).toBe("role");
    const extra = await asAdmin(members, { method: "POST", json: { user_id: ada.id, role: "viewer", x: 1 } });
    expect(error(await expectJson(extra, 400)).param).toBe("x");
    const stranger = await person();
    for (const user of [stranger.id, "nope"]) {
      const res = await asAdmin(`${members}/${user}`, { method: "PATCH", json: { role: "viewer" } });
      expect(error(await expectJson(res, 404)).param).toBe("user_id");
    }
    const gone = await asAdmin(`/admin/teams/team_0123456789abcdef/members/${ada.id}`, { method: "DELETE" });
    expect(error(await expectJson(gone, 404)).param).toBe("id");
  });
});
