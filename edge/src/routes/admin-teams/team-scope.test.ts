import { describe, expect, it } from "vitest";
import { db } from "../../identity/directory/testing.ts";
import { call } from "../../keys/testing.ts";
import { asAdmin, auditRowOf, expectJson, newTeam, person } from "../admin-people/testing.ts";

const code = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

describe("a team admin manages their own team's members, and no other's", () => {
  it("lists, adds, re-roles and removes members of their team, audited with them as actor", async () => {
    const team = await newTeam();
    const lead = await person({ role: "team_admin", team });
    const newcomer = await person();
    expect((await lead.call(`/admin/teams/${team.id}`)).status).toBe(200);
    const added = await lead.call(`/admin/teams/${team.id}/members`, {
      method: "POST",
      json: { user_id: newcomer.id, role: "developer" },
    });
    expect(added.status).toBe(201);
    expect(await auditRowOf(added)).toMatchObject({
      actor: `user:${lead.id}`,
      action: "member.add",
      after: { user_id: newcomer.id, team_id: team.id, role: "developer" },
    });
    const members = await expectJson<{ data: { user_id: string }[] }>(
      await lead.call(`/admin/teams/${team.id}/members`),
      200,
    );
    expect(members.data.map((m) => m.user_id).sort()).toEqual([lead.id, newcomer.id].sort());
    const path = `/admin/teams/${team.id}/members/${newcomer.id}`;
    expect((await lead.call(path, { method: "PATCH", json: { role: "viewer" } })).status).toBe(200);
    expect((await lead.call(path, { method: "DELETE" })).status).toBe(200);
  });

  it("is refused (403) in another team, for deployment-wide routes, and for roles they do not hold", async () => {
    const team = await newTeam();
    const other = await newTeam();
    const lead = await person({ role: "team_admin", team });
    const someone = await person({ role: "viewer", team: other });
    const refused = [
      await lead.call(`/admin/teams/${other.id}`),
      await lead.call(`/admin/teams/${other.id}/members`),
      await lead.call(`/admin/teams/${other.id}/members`, {
        method: "POST",
        json: { user_id: lead.id, role: "developer" },
      }),
      await lead.call(`/admin/teams/${other.id}/members/${someone.id}`, { method: "DELETE" }),
      await lead.call("/admin/teams"),
      await lead.call("/admin/teams", { method: "POST", json: { name: "mine now" } }),
      await lead.call(`/admin/teams/${team.id}`, { method: "PATCH", json: { name: "renamed" } }),
      await lead.call(`/admin/teams/${team.id}`, { method: "DELETE" }),
      await lead.call("/admin/people"),
      await lead.call("/admin/role-mappings"),
      // model_approver grants models.approve, which a team admin does not hold.
      await lead.call(`/admin/teams/${team.id}/members`, {
        method: "POST",
        json: { user_id: someone.id, role: "model_approver" },
      }),
    ];
    for (const res of refused) expect(res.status, res.url).toBe(403);
    expect(await code(refused[0] as Response)).toBe("insufficient_scope");
    const denied = refused.at(-1) as Response;
    expect(await auditRowOf(denied)).toMatchObject({ actor: `user:${lead.id}`, status: 403 });
  });

  it("refuses a request on their session that another site started", async () => {
    const team = await newTeam();
    const lead = await person({ role: "team_admin", team });
    const res = await call(`/admin/teams/${team.id}/members`, {
      method: "POST",
      headers: { Cookie: lead.cookie, "Sec-Fetch-Site": "cross-site", "Content-Type": "application/json" },
      body: JSON.stringify({ user_id: lead.id, role: "viewer" }),
    });
    expect(res.status).toBe(403);
  });
});

describe("a developer", () => {
  it("may not read or manage their team's members", async () => {
    const team = await newTeam();
    const dev = await person({ role: "developer", team });
    expect((await dev.call(`/admin/teams/${team.id}/members`)).status).toBe(403);
    const res = await dev.call(`/admin/teams/${team.id}/members`, {
      method: "POST",
      json: { user_id: dev.id, role: "team_admin" },
    });
    expect(res.status).toBe(403);
  });

  it("makes keys for their team only, recorded as the key's maker and the team as its owner", async () => {
    const team = await newTeam();
    const other = await newTeam();
    const dev = await person({ role: "developer", team });
    const made = await dev.call("/admin/keys", {
      method: "POST",
      json: { name: "dev key", team_id: team.id },
    });
    const key = await expectJson<{ id: string; key: string }>(made, 201);
    const owner = await db
      .prepare("SELECT team_id, created_by_user_id FROM api_keys WHERE id = ?")
      .bind(key.id)
      .first();
    expect(owner).toEqual({ team_id: team.id, created_by_user_id: dev.id });
    expect((await auditRowOf(made)).detail).toMatchObject({ team_id: team.id });
    expect((await call("/v1/models", { key: key.key })).status).toBe(200);
    const elsewhere = await dev.call("/admin/keys", {
      method: "POST",
      json: { name: "x", team_id: other.id },
    });
    expect(elsewhere.status).toBe(403);
    const teamless = await dev.call("/admin/keys", { method: "POST", json: { name: "x" } });
    expect(teamless.status).toBe(403);
    const viewer = await person({ role: "viewer", team });
    const byViewer = await viewer.call("/admin/keys", {
      method: "POST",
      json: { name: "x", team_id: team.id },
    });
    expect(byViewer.status).toBe(403);
  });

  it("a key made by the admin token for a team has the team and no maker", async () => {
    const team = await newTeam();
    const made = await asAdmin("/admin/keys", { method: "POST", json: { name: "ci", team_id: team.id } });
    const key = await expectJson<{ id: string }>(made, 201);
    const owner = await db
      .prepare("SELECT team_id, created_by_user_id FROM api_keys WHERE id = ?")
      .bind(key.id)
      .first();
    expect(owner).toEqual({ team_id: team.id, created_by_user_id: null });
  });
});
