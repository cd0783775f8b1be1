import { describe, expect, it } from "vitest";
import { apiError, cliAgainst, PERSON, TEAM } from "./directory-testing.ts";

const RULE = {
  id: "map_0123456789abcdef",
  idp_group: "ml-eng",
  team_id: TEAM.id,
  role: "developer",
  created_at: "2026-12-01T00:00:00.000Z",
  created_by: "break_glass",
};

const { sdgate } = cliAgainst((request) => {
  const body = request.body as { role?: string } | null;
  if (request.path === "/admin/role-mappings" && request.method === "GET")
    return {
      status: 200,
      body: {
        object: "list",
        data: [RULE, { ...RULE, id: "map_fedcba9876543210", team_id: null, role: "viewer" }],
      },
    };
  if (request.path === "/admin/role-mappings")
    return { status: 201, body: { ...RULE, ...(request.body as object), people_changed: [PERSON.id] } };
  if (request.path === `/admin/role-mappings/${RULE.id}` && request.method === "PATCH")
    return { status: 200, body: { ...RULE, role: body?.role, people_changed: [] } };
  if (request.path === `/admin/role-mappings/${RULE.id}` && request.method === "DELETE")
    return { status: 200, body: { ...RULE, people_changed: [PERSON.id], deleted: true } };
  if (request.path === "/admin/groups/deprovision")
    return {
      status: 200,
      body: {
        idp_group: "contractors",
        role_mappings_deleted: [RULE],
        people_changed: [PERSON.id],
        sessions_ended: [{ user_id: PERSON.id, sessions_revoked: 1 }],
      },
    };
  return apiError(404, "not_found", "Not found.");
});

describe("sdgate role-mappings", () => {
  it("list prints each rule's group, team (or everywhere) and role", async () => {
    const { code, stdout } = await sdgate(["role-mappings", "list"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^ID\s+GROUP\s+TEAM\s+ROLE\s+CREATED BY$/m);
    expect(stdout).toMatch(/map_fedcba9876543210\s+ml-eng\s+everywhere\s+viewer\s+break_glass/);
  });

  it("create sends group, role and team, and says whom it changed at once", async () => {
    const { code, stdout, request } = await sdgate([
      "role-mappings",
      "create",
      "--group",
      "ml-eng",
      "--role",
      "developer",
      "--team",
      TEAM.id,
    ]);
    expect(code).toBe(0);
    expect(request?.body).toEqual({ idp_group: "ml-eng", role: "developer", team_id: TEAM.id });
    expect(stdout).toContain(`group ml-eng → developer in team ${TEAM.id}`);
    expect(stdout).toContain(`People changed at once: ${PERSON.id}`);
    const global = await sdgate(["role-mappings", "create", "--group", "sre", "--role", "admin"]);
    expect(global.request?.body).toEqual({ idp_group: "sre", role: "admin" });
  });

  it("update, delete and deprovision-group call their operations", async () => {
    const updated = await sdgate(["role-mappings", "update", RULE.id, "--role", "viewer"]);
    expect(updated.request).toMatchObject({
      method: "PATCH",
      path: `/admin/role-mappings/${RULE.id}`,
      body: { role: "viewer" },
    });
    const deleted = await sdgate(["role-mappings", "delete", RULE.id]);
    expect(deleted.request).toMatchObject({ method: "DELETE", path: `/admin/role-mappings/${RULE.id}` });
    expect(deleted.stdout).toContain(`Deleted ${RULE.id}`);
    const gone = await sdgate(["role-mappings", "deprovision-group", "contractors"]);
    expect(gone.request).toMatchObject({
      method: "POST",
      path: "/admin/groups/deprovision",
      body: { idp_group: "contractors" },
    });
    expect(gone.stdout).toContain("1 rules deleted, 1 people changed, 1 signed out");
  });

  it("refuses a missing --group, an unknown role or a missing id before sending anything", async () => {
    for (const args of [
      ["role-mappings", "create", "--role", "viewer"],
      ["role-mappings", "create", "--group", "g", "--role", "owner"],
      ["role-mappings", "update", "--role", "viewer"],
      ["role-mappings", "deprovision-group"],
    ]) {
      const result = await sdgate(args);
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.request).toBeUndefined();
    }
  });
});
