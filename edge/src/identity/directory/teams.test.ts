import { describe, expect, it } from "vitest";
import { membershipsOf } from "./memberships.ts";
import { getRoleMapping } from "./role-mappings.ts";
import { createTeam, deleteTeam, getTeam, listTeams, MAX_TEAM_NAME_CHARS, renameTeam } from "./teams.ts";
import { db, identity, newTeam, rule, signedIn, unique } from "./testing.ts";

describe("teams", () => {
  it("are created with a trimmed name, answered as before: null and after", async () => {
    const name = unique("Search");
    const now = new Date("2026-03-01T10:00:00.000Z");
    const created = await createTeam(db, `  ${name} `, now);
    if (!created.ok) expect.fail(created.error);
    expect(created.value.before).toBeNull();
    expect(created.value.after).toEqual({
      id: expect.stringMatching(/^team_[0-9a-f]{16}$/),
      name,
      created_at: now.toISOString(),
    });
    expect(await getTeam(db, created.value.after.id)).toEqual(created.value.after);
    expect(await listTeams(db)).toContainEqual(created.value.after);
  });

  it("refuse a name another team has, whatever its case, and names that are empty, long or odd", async () => {
    const team = await newTeam("Vision");
    expect(await createTeam(db, team.name.toUpperCase())).toEqual({ ok: false, error: "name_taken" });
    for (const bad of ["", "   ", "a".repeat(MAX_TEAM_NAME_CHARS + 1), "tab\there"])
      expect(await createTeam(db, bad)).toEqual({ ok: false, error: "invalid_name" });
    expect((await createTeam(db, "a".repeat(MAX_TEAM_NAME_CHARS - 36) + crypto.randomUUID())).ok).toBe(true);
  });

  it("are renamed with before and after, unless the name is taken or the team is gone", async () => {
    const [team, other] = [await newTeam(), await newTeam()];
    const name = unique("Renamed");
    expect(await renameTeam(db, team.id, name)).toEqual({
      ok: true,
      value: { before: team, after: { ...team, name } },
    });
    expect(await renameTeam(db, team.id, other.name)).toEqual({ ok: false, error: "name_taken" });
    expect(await renameTeam(db, "team_missing", unique("x"))).toEqual({ ok: false, error: "not_found" });
    expect(await renameTeam(db, team.id, " ")).toEqual({ ok: false, error: "invalid_name" });
  });

  it("are deleted with their memberships and rules, which the answer lists", async () => {
    const team = await newTeam();
    const devs = unique("devs");
    const mapping = await rule(devs, team.id, "developer");
    const { user } = await signedIn(identity([devs]));
    const deleted = await deleteTeam(db, team.id);
    if (!deleted.ok) expect.fail(deleted.error);
    expect(deleted.value.after).toBeNull();
    expect(deleted.value.before.team).toEqual(team);
    expect(deleted.value.before.role_mapping_ids).toEqual([mapping.id]);
    expect(deleted.value.before.memberships).toMatchObject([
      { user_id: user.id, team_id: team.id, role: "developer" },
    ]);
    expect(await getTeam(db, team.id)).toBeNull();
    expect(await getRoleMapping(db, mapping.id)).toBeNull();
    expect(await membershipsOf(db, user.id)).toEqual([]);
    expect(await deleteTeam(db, team.id)).toEqual({ ok: false, error: "not_found" });
  });

  it("are not deleted while they own a key that works", async () => {
    const team = await newTeam();
    const devs = unique("devs");
    await rule(devs, team.id, "viewer");
    const { user } = await signedIn(identity([devs]));
    const keyId = `key_${crypto.randomUUID()}`;
    await db
      .prepare(
        "INSERT INTO api_keys (id, name, prefix, scopes, limits, created_at, team_id) VALUES (?, 'k', 'sk_x', '[]', '{}', ?, ?)",
      )
      .bind(keyId, new Date().toISOString(), team.id)
      .run();
    expect(await deleteTeam(db, team.id)).toEqual({ ok: false, error: "has_live_keys" });
    expect(await getTeam(db, team.id)).toEqual(team);
    expect(await membershipsOf(db, user.id)).toHaveLength(1);

    await db
      .prepare("UPDATE api_keys SET revoked_at = ? WHERE id = ?")
      .bind(new Date().toISOString(), keyId)
      .run();
    expect((await deleteTeam(db, team.id)).ok).toBe(true);
  });
});
