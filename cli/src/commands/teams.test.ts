import { describe, expect, it } from "vitest";
import { apiError, cliAgainst, MEMBERSHIP, PERSON, TEAM } from "./directory-testing.ts";

const MEMBER_PATH = `/admin/teams/${TEAM.id}/members/${PERSON.id}`;

const { sdgate } = cliAgainst((request) => {
  const body = request.body as { name?: string; role?: string } | null;
  if (request.path === "/admin/teams" && request.method === "GET")
    return { status: 200, body: { object: "list", data: [TEAM] } };
  if (request.path === "/admin/teams" && body?.name === "Taken")
    return apiError(409, "conflict", "A team named 'Taken' exists already (names ignore case).", "name");
  if (request.path === "/admin/teams") return { status: 201, body: { ...TEAM, name: body?.name } };
  if (request.path === `/admin/teams/${TEAM.id}` && request.method === "PATCH")
    return { status: 200, body: { ...TEAM, name: body?.name } };
  if (request.path === `/admin/teams/${TEAM.id}` && request.method === "DELETE")
    return { status: 200, body: { ...TEAM, deleted: true } };
  if (request.path === `/admin/teams/${TEAM.id}/members` && request.method === "GET")
    return {
      status: 200,
      body: {
        object: "list",
        data: [
          {
            ...MEMBERSHIP,
            source_group: "ml-eng",
            email: PERSON.email,
            name: PERSON.name,
            disabled_at: null,
          },
        ],
      },
    };
  if (request.path === `/admin/teams/${TEAM.id}/members`)
    return { status: 201, body: { ...MEMBERSHIP, role: body?.role } };
  if (request.path === MEMBER_PATH && request.method === "PATCH")
    return { status: 200, body: { ...MEMBERSHIP, role: body?.role } };
  if (request.path === MEMBER_PATH && request.method === "DELETE")
    return { status: 200, body: { ...MEMBERSHIP, source_group: "ml-eng", removed: true } };
  return apiError(404, "not_found", "Not found.");
});

describe("sdgate teams", () => {
  it("list and members print tables", async () => {
    const teams = await sdgate(["teams", "list"]);
    expect(teams.code).toBe(0);
    expect(teams.stdout).toMatch(/^ID\s+NAME\s+CREATED$/m);
    expect(teams.stdout).toMatch(/team_0123456789abcdef\s+Search\s+2026-12-01/);
    const members = await sdgate(["teams", "members", TEAM.id]);
    expect(members.request).toMatchObject({ method: "GET", path: `/admin/teams/${TEAM.id}/members` });
    expect(members.stdout).toMatch(
      /usr_0123456789abcdef\s+ada@example.com\s+Ada\s+developer\s+group ml-eng\s+active/,
    );
  });

  it("create, rename and delete send the name and the team's id", async () => {
    const created = await sdgate(["teams", "create", "Search"]);
    expect(created.request).toMatchObject({ method: "POST", path: "/admin/teams", body: { name: "Search" } });
    expect(created.stdout).toContain(`Created ${TEAM.id} (Search)`);
    const renamed = await sdgate(["teams", "rename", TEAM.id, "Search 2"]);
    expect(renamed.request).toMatchObject({ method: "PATCH", body: { name: "Search 2" } });
    expect(renamed.stdout).toContain("Renamed team_0123456789abcdef to Search 2");
    const deleted = await sdgate(["teams", "delete", TEAM.id]);
    expect(deleted.request).toMatchObject({ method: "DELETE", path: `/admin/teams/${TEAM.id}` });
  });

  it("add-member, set-role and remove-member name the team and the person", async () => {
    const added = await sdgate(["teams", "add-member", TEAM.id, PERSON.id, "--role", "viewer"]);
    expect(added.request).toMatchObject({
      method: "POST",
      path: `/admin/teams/${TEAM.id}/members`,
      body: { user_id: PERSON.id, role: "viewer" },
    });
    expect(added.stdout).toContain("Added usr_0123456789abcdef to Search as viewer");
    const changed = await sdgate(["teams", "set-role", TEAM.id, PERSON.id, "--role", "team_admin"]);
    expect(changed.request).toMatchObject({
      method: "PATCH",
      path: MEMBER_PATH,
      body: { role: "team_admin" },
    });
    const removed = await sdgate(["teams", "remove-member", TEAM.id, PERSON.id]);
    expect(removed.request).toMatchObject({ method: "DELETE", path: MEMBER_PATH });
    expect(removed.stdout).toContain("returns at their next sign-in");
  });

  it("refuses a missing id or role, or the admin role, before sending anything", async () => {
    for (const [args, message] of [
      [["teams", "add-member", TEAM.id], "needs a person's id"],
      [["teams", "add-member", TEAM.id, PERSON.id], "needs --role"],
      [["teams", "set-role", TEAM.id, PERSON.id, "--role", "admin"], "--role must be one of"],
      [["teams", "rename", TEAM.id], "needs a new name"],
    ] as const) {
      const result = await sdgate([...args]);
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.request).toBeUndefined();
      expect(result.stderr).toContain(message);
    }
  });

  it("reports a conflict from the API with exit status 1", async () => {
    const { code, stderr } = await sdgate(["teams", "create", "Taken"]);
    expect(code).toBe(1);
    expect(stderr).toContain("exists already");
  });
});
