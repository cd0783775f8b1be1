import { afterEach, describe, expect, it } from "vitest";
import { Sdgate } from "../client.ts";
import { callOf } from "../http/operation.ts";
import { type FakeServer, fakeServer, json } from "../test-support/fake-server.ts";

let server: FakeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const TEAM = { id: "team_0123456789abcdef", name: "Search", created_at: "2026-12-01T00:00:00.000Z" };
const MEMBERSHIP = {
  user_id: "usr_0123456789abcdef",
  team_id: TEAM.id,
  team_name: TEAM.name,
  role: "developer",
  source_group: null,
  created_at: "2026-12-01T00:00:00.000Z",
};
const PERSON = {
  id: "usr_0123456789abcdef",
  issuer: "https://idp.example",
  subject: "ada",
  email: "ada@example.com",
  name: "Ada",
  groups: ["ml-eng"],
  created_at: "2026-12-01T00:00:00.000Z",
  last_sign_in_at: null,
  disabled_at: null,
  memberships: [MEMBERSHIP],
};

/** A client against a server answering `answer` to everything, with the admin token. */
async function admin(answer: unknown) {
  server = await fakeServer((_, response) => json(response, 200, answer));
  return new Sdgate({ baseUrl: server.url, adminToken: "admin-token", maxRetries: 0 });
}

describe("teams, people and role mappings on the wire", () => {
  it("puts a team member's two ids in the path, each encoded", async () => {
    const client = await admin({ ...MEMBERSHIP, removed: true });
    await client.teams.updateMember(TEAM.id, "usr_0123456789abcdef", { role: "viewer" });
    await client.teams.removeMember(TEAM.id, "usr/../x");
    const [update, remove] = server?.seen ?? [];
    expect(update).toMatchObject({
      method: "PATCH",
      path: `/admin/teams/${TEAM.id}/members/usr_0123456789abcdef`,
      body: JSON.stringify({ role: "viewer" }),
    });
    expect(update?.headers.authorization).toBe("Bearer admin-token");
    expect(remove).toMatchObject({ method: "DELETE", path: `/admin/teams/${TEAM.id}/members/usr%2F..%2Fx` });
  });

  it("refuses to call a member's operation without both ids", () => {
    expect(() => callOf("removeTeamMember", { id: TEAM.id })).toThrow(/needs a user_id/);
    expect(() => callOf("removeTeamMember", { params: { user_id: "usr_1" } })).toThrow(/needs an id/);
  });

  it("sends each team call to its operation's method and path", async () => {
    const client = await admin(TEAM);
    await client.teams.create("Search");
    await client.teams.rename(TEAM.id, "Search 2");
    await client.teams.get(TEAM.id);
    expect(server?.seen.map((r) => `${r.method} ${r.path} ${r.body}`)).toEqual([
      'POST /admin/teams {"name":"Search"}',
      `PATCH /admin/teams/${TEAM.id} {"name":"Search 2"}`,
      `GET /admin/teams/${TEAM.id} `,
    ]);
  });

  it("reads and sets a team's model grants", async () => {
    const client = await admin({ object: "team.models", team_id: TEAM.id, models: null });
    expect((await client.teams.models(TEAM.id)).models).toBeNull();
    await client.teams.setModels(TEAM.id, { models: ["sd15@production"] });
    expect(server?.seen.map((r) => `${r.method} ${r.path} ${r.body}`)).toEqual([
      `GET /admin/teams/${TEAM.id}/models `,
      `PUT /admin/teams/${TEAM.id}/models {"models":["sd15@production"]}`,
    ]);
  });

  it("parses people and finds them by email", async () => {
    const client = await admin({ object: "list", data: [PERSON], next_cursor: null });
    const page = await client.people.list({ email: "ada@example.com", limit: 10 });
    expect(page.data[0]).toEqual(PERSON);
    expect(server?.seen[0]?.path).toBe("/admin/people?email=ada%40example.com&limit=10");
  });

  it("deprovisions a person, handing their keys on, and a group", async () => {
    const client = await admin({
      person: PERSON,
      sessions_revoked: 2,
      keys_revoked: [],
      keys_reassigned: [],
    });
    const done = await client.people.deprovision(PERSON.id, { reassign_keys_to: "usr_fedcba9876543210" });
    expect(done.sessions_revoked).toBe(2);
    expect(server?.seen[0]).toMatchObject({
      method: "POST",
      path: `/admin/people/${PERSON.id}/deprovision`,
      body: JSON.stringify({ reassign_keys_to: "usr_fedcba9876543210" }),
    });
    await server?.close();
    const groups = await admin({
      idp_group: "g",
      role_mappings_deleted: [],
      people_changed: [],
      sessions_ended: [],
    });
    await groups.roleMappings.deprovisionGroup("contractors");
    expect(server?.seen[0]).toMatchObject({
      method: "POST",
      path: "/admin/groups/deprovision",
      body: JSON.stringify({ idp_group: "contractors" }),
    });
  });

  it("rejects an answer that is not the contract's shape", async () => {
    const client = await admin({ object: "list", data: [{ id: "map_1" }] });
    await expect(client.roleMappings.list()).rejects.toThrow();
  });
});
