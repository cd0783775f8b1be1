import { ROLES } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import { membershipsOf } from "./memberships.ts";
import { signIn } from "./sign-in.ts";
import { db, identity, newTeam, roles, rule, signedIn, unique } from "./testing.ts";
import { disableUser, enableUser, getUser } from "./users.ts";

describe("sign-in", () => {
  it("creates a person on first sign-in, with no role when no rule matches", async () => {
    const who = identity([unique("unmapped")]);
    const now = new Date("2026-03-01T10:00:00.000Z");
    const first = await signedIn(who, now);
    expect(first.user).toMatchObject({
      issuer: who.issuer,
      subject: who.subject,
      email: who.email,
      name: who.name,
      created_at: now.toISOString(),
      last_sign_in_at: now.toISOString(),
      disabled_at: null,
    });
    expect(first.user.id).toMatch(/^usr_[0-9a-f]{16}$/);
    expect(first.memberships).toEqual([]);
    expect(first.before).toEqual({ user: null, memberships: [] });
  });

  it("finds the same person by issuer and subject, refreshing email, name and groups", async () => {
    const who = identity();
    const first = await signedIn(who, new Date("2026-03-01T10:00:00.000Z"));
    const later = new Date("2026-03-02T10:00:00.000Z");
    const again = await signedIn(
      { ...who, email: "renamed@example.com", name: "New Name", groups: ["b", "a", "b"] },
      later,
    );
    expect(again.user).toMatchObject({
      id: first.user.id,
      email: "renamed@example.com",
      name: "New Name",
      idp_groups: ["a", "b"],
      created_at: first.user.created_at,
      last_sign_in_at: later.toISOString(),
    });
    expect(again.before.user).toEqual(first.user);
    const elsewhere = await signedIn({ ...who, issuer: "https://other-idp.test.example" });
    expect(elsewhere.user.id).not.toBe(first.user.id);
  });

  it("gives the memberships the rules give, and takes group changes at the next sign-in", async () => {
    const [team, other] = [await newTeam(), await newTeam()];
    const [devs, leads, finance] = [unique("devs"), unique("leads"), unique("finance")];
    await rule(devs, team.id, "developer");
    await rule(leads, team.id, "team_admin");
    await rule(devs, other.id, "viewer");
    await rule(finance, null, "billing");
    const who = identity([devs, leads]);

    const first = await signedIn(who);
    expect(roles(first.memberships)).toEqual(
      [
        [team.id, "team_admin", leads],
        [other.id, "viewer", devs],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
    expect(first.memberships.find((m) => m.team_id === team.id)?.team_name).toBe(team.name);

    const moved = await signedIn({ ...who, groups: [finance, devs] });
    expect(moved.before.memberships).toEqual(first.memberships);
    expect(roles(moved.memberships)).toEqual([
      ["global", "billing", finance],
      ...[
        [team.id, "developer", devs],
        [other.id, "viewer", devs],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    ]);

    const left = await signedIn({ ...who, groups: [] });
    expect(left.memberships).toEqual([]);
    expect(await membershipsOf(db, left.user.id)).toEqual([]);
  });

  it("keeps a membership's start when the same rule still gives it", async () => {
    const team = await newTeam();
    const devs = unique("devs");
    await rule(devs, team.id, "developer");
    const who = identity([devs]);
    const first = await signedIn(who, new Date("2026-03-01T10:00:00.000Z"));
    const again = await signedIn(who, new Date("2026-03-05T10:00:00.000Z"));
    expect(again.memberships).toEqual(first.memberships);
    expect(again.memberships[0]?.created_at).toBe("2026-03-01T10:00:00.000Z");
  });

  it("refuses a disabled person and writes nothing, until they are enabled", async () => {
    const admins = unique("admins");
    await rule(admins, null, "admin");
    const who = identity([admins]);
    const { user } = await signedIn(who, new Date("2026-03-01T10:00:00.000Z"));
    const disabled = await disableUser(db, user.id, new Date("2026-03-02T10:00:00.000Z"));
    expect(disabled?.after.disabled_at).toBe("2026-03-02T10:00:00.000Z");

    const refused = await signIn(db, { ...who, email: "changed@example.com", groups: [] });
    expect(refused).toEqual({ ok: false, error: "disabled" });
    const stored = await getUser(db, user.id);
    expect(stored).toEqual(disabled?.after);
    expect(roles(await membershipsOf(db, user.id))).toEqual([["global", "admin", admins]]);

    await enableUser(db, user.id);
    expect((await signIn(db, who)).ok).toBe(true);
  });

  it("refuses an identity without issuer or subject", async () => {
    expect(await signIn(db, identity([], { subject: "" }))).toEqual({ ok: false, error: "invalid_identity" });
    expect(await signIn(db, identity([], { issuer: "" }))).toEqual({ ok: false, error: "invalid_identity" });
  });
});

describe("the identity schema", () => {
  it("admits exactly the roles of the permission model, and admin only globally", async () => {
    const { user } = await signedIn(identity());
    const team = await newTeam();
    const insert = (teamId: string | null, role: string) =>
      db
        .prepare("INSERT INTO memberships (user_id, team_id, role, created_at) VALUES (?, ?, ?, ?)")
        .bind(user.id, teamId, role, new Date().toISOString())
        .run();
    for (const role of ROLES.filter((r) => r !== "admin")) {
      await insert(team.id, role);
      await db.prepare("DELETE FROM memberships WHERE user_id = ?").bind(user.id).run();
    }
    await expect(insert(team.id, "superuser")).rejects.toThrow(/CHECK constraint/);
    await expect(insert(team.id, "admin")).rejects.toThrow(/CHECK constraint/);
    await insert(null, "admin");
    await expect(insert(null, "viewer")).rejects.toThrow(/UNIQUE constraint/);
  });
});
