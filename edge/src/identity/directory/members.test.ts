import { describe, expect, it } from "vitest";
import { addMember, changeMemberRole, listTeamMembers, removeMember } from "./members.ts";
import { membershipsOf } from "./memberships.ts";
import { db, identity, newTeam, roles, rule, signedIn, unique } from "./testing.ts";

describe("members", () => {
  it("are added by hand with before: null and after, and listed with the team", async () => {
    const team = await newTeam();
    const { user } = await signedIn(identity());
    const now = new Date("2026-03-01T10:00:00.000Z");
    const added = await addMember(db, { user_id: user.id, team_id: team.id, role: "developer" }, now);
    const membership = {
      user_id: user.id,
      team_id: team.id,
      team_name: team.name,
      role: "developer",
      source_group: null,
      created_at: now.toISOString(),
    };
    expect(added).toEqual({ ok: true, value: { before: null, after: membership } });
    expect(await listTeamMembers(db, team.id)).toEqual([membership]);
    expect(await addMember(db, { user_id: user.id, team_id: team.id, role: "viewer" })).toEqual({
      ok: false,
      error: "already_member",
    });
  });

  it("refuse admin in a team, unknown people and unknown teams", async () => {
    const team = await newTeam();
    const { user } = await signedIn(identity());
    const add = (user_id: string, team_id: string | null, role: "admin" | "viewer") =>
      addMember(db, { user_id, team_id, role });
    expect(await add(user.id, team.id, "admin")).toEqual({ ok: false, error: "admin_is_global" });
    expect(await add("usr_missing", team.id, "viewer")).toEqual({ ok: false, error: "user_not_found" });
    expect(await add(user.id, "team_missing", "viewer")).toEqual({ ok: false, error: "team_not_found" });
    expect(await add(user.id, null, "admin")).toMatchObject({
      ok: true,
      value: { after: { team_id: null, role: "admin" } },
    });
    expect(await changeMemberRole(db, { user_id: user.id, team_id: team.id, role: "viewer" })).toEqual({
      ok: false,
      error: "not_found",
    });
  });

  it("keep a hand-given role through sign-ins, where a rule for the same team does not override it", async () => {
    const team = await newTeam();
    const leads = unique("leads");
    await rule(leads, team.id, "team_admin");
    const who = identity();
    const { user } = await signedIn(who);
    await addMember(db, { user_id: user.id, team_id: team.id, role: "viewer" });
    const later = await signedIn({ ...who, groups: [leads] });
    expect(roles(later.memberships)).toEqual([[team.id, "viewer", null]]);
  });

  it("change role with before and after, pinning a rule-given membership against the next sign-in", async () => {
    const team = await newTeam();
    const devs = unique("devs");
    await rule(devs, team.id, "developer");
    const who = identity([devs]);
    const { user } = await signedIn(who);
    const changed = await changeMemberRole(db, { user_id: user.id, team_id: team.id, role: "viewer" });
    if (!changed.ok) expect.fail(changed.error);
    expect(roles([changed.value.before])).toEqual([[team.id, "developer", devs]]);
    expect(roles([changed.value.after])).toEqual([[team.id, "viewer", null]]);
    const again = await signedIn(who);
    expect(roles(again.memberships)).toEqual([[team.id, "viewer", null]]);
  });

  it("are removed with before and after: null; a rule-given one returns at the next sign-in", async () => {
    const [team, other] = [await newTeam(), await newTeam()];
    const devs = unique("devs");
    await rule(devs, other.id, "developer");
    const who = identity([devs]);
    const { user } = await signedIn(who);
    await addMember(db, { user_id: user.id, team_id: team.id, role: "billing" });

    const removed = await removeMember(db, { user_id: user.id, team_id: team.id });
    expect(removed).toMatchObject({
      ok: true,
      value: { before: { team_id: team.id, role: "billing" }, after: null },
    });
    expect(await removeMember(db, { user_id: user.id, team_id: team.id })).toEqual({
      ok: false,
      error: "not_found",
    });

    expect((await removeMember(db, { user_id: user.id, team_id: other.id })).ok).toBe(true);
    expect(await membershipsOf(db, user.id)).toEqual([]);
    expect(roles((await signedIn(who)).memberships)).toEqual([[other.id, "developer", devs]]);
  });
});
