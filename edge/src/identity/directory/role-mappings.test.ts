import { describe, expect, it } from "vitest";
import { membershipsOf } from "./memberships.ts";
import {
  changeRoleMapping,
  createRoleMapping,
  deleteRoleMapping,
  getRoleMapping,
  listRoleMappings,
} from "./role-mappings.ts";
import { db, identity, newTeam, roles, rule, signedIn, unique } from "./testing.ts";

describe("role mappings", () => {
  it("are created with before: null and after, and listed", async () => {
    const team = await newTeam();
    const group = unique("ml");
    const now = new Date("2026-03-01T10:00:00.000Z");
    const created = await createRoleMapping(
      db,
      { idp_group: group, team_id: team.id, role: "developer", created_by: "usr_author" },
      now,
    );
    if (!created.ok) expect.fail(created.error);
    expect(created.value).toEqual({
      before: null,
      after: {
        id: expect.stringMatching(/^map_[0-9a-f]{16}$/),
        idp_group: group,
        team_id: team.id,
        role: "developer",
        created_at: now.toISOString(),
        created_by: "usr_author",
      },
      memberships: [],
    });
    expect(await getRoleMapping(db, created.value.after.id)).toEqual(created.value.after);
    expect(await listRoleMappings(db)).toContainEqual(created.value.after);
  });

  it("refuse admin in a team, unknown teams, blank groups and a second rule for one group and scope", async () => {
    const team = await newTeam();
    const group = unique("g");
    const make = (team_id: string | null, role: "admin" | "viewer", idp_group = group) =>
      createRoleMapping(db, { idp_group, team_id, role, created_by: "test" });
    expect(await make(team.id, "admin")).toEqual({ ok: false, error: "admin_is_global" });
    expect(await make("team_missing", "viewer")).toEqual({ ok: false, error: "team_not_found" });
    expect(await make(team.id, "viewer", " ")).toEqual({ ok: false, error: "invalid_group" });
    expect(await make(team.id, "viewer", ` ${group}`)).toEqual({ ok: false, error: "invalid_group" });
    expect((await make(team.id, "viewer")).ok).toBe(true);
    expect(await make(team.id, "viewer")).toEqual({ ok: false, error: "duplicate" });
    expect((await make(null, "viewer")).ok).toBe(true);
    expect(await make(null, "admin")).toEqual({ ok: false, error: "duplicate" });
    const mapping = (await listRoleMappings(db)).find((m) => m.idp_group === group && m.team_id === team.id);
    expect(await changeRoleMapping(db, mapping?.id ?? "", "admin")).toEqual({
      ok: false,
      error: "admin_is_global",
    });
  });

  it("apply at once to people whose last sign-in had the group, and say whose memberships changed", async () => {
    const team = await newTeam();
    const [group, bystanders] = [unique("ml"), unique("other")];
    const { user } = await signedIn(identity([group]));
    const { user: bystander } = await signedIn(identity([bystanders]));

    const created = await createRoleMapping(db, {
      idp_group: group,
      team_id: team.id,
      role: "viewer",
      created_by: "t",
    });
    if (!created.ok) expect.fail(created.error);
    expect(created.value.memberships).toMatchObject([
      { user_id: user.id, before: [], after: [{ role: "viewer" }] },
    ]);

    const changed = await changeRoleMapping(db, created.value.after.id, "developer");
    if (!changed.ok) expect.fail(changed.error);
    expect(changed.value.before.role).toBe("viewer");
    expect(changed.value.after.role).toBe("developer");
    expect(roles(await membershipsOf(db, user.id))).toEqual([[team.id, "developer", group]]);
    expect(changed.value.memberships).toHaveLength(1);

    expect(await membershipsOf(db, bystander.id)).toEqual([]);
  });

  it("end what they gave when deleted, falling back to another group's role in that team", async () => {
    const team = await newTeam();
    const [leads, everyone] = [unique("leads"), unique("everyone")];
    const lead = await rule(leads, team.id, "team_admin");
    await rule(everyone, team.id, "viewer");
    const { user } = await signedIn(identity([leads, everyone]));
    expect(roles(await membershipsOf(db, user.id))).toEqual([[team.id, "team_admin", leads]]);

    const deleted = await deleteRoleMapping(db, lead.id);
    if (!deleted.ok) expect.fail(deleted.error);
    expect(deleted.value.before).toEqual(lead);
    expect(deleted.value.after).toBeNull();
    expect(roles(deleted.value.memberships[0]?.after ?? [])).toEqual([[team.id, "viewer", everyone]]);
    expect(roles(await membershipsOf(db, user.id))).toEqual([[team.id, "viewer", everyone]]);
    expect(await deleteRoleMapping(db, lead.id)).toEqual({ ok: false, error: "not_found" });
  });
});
