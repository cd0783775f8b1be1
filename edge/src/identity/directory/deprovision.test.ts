import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { configFor } from "../../env.ts";
import { revokeKey } from "../../keys/service.ts";
import { call, createKey } from "../../keys/testing.ts";
import { createSession, readSession } from "../sessions/sessions.ts";
import { deprovisionGroup, deprovisionUser } from "./deprovision.ts";
import { liveKeysCreatedBy, recordKeyOwner } from "./key-owners.ts";
import { addMember } from "./members.ts";
import { membershipsOf } from "./memberships.ts";
import { listRoleMappings } from "./role-mappings.ts";
import { signIn } from "./sign-in.ts";
import { db, identity, newTeam, roles, rule, signedIn, unique } from "./testing.ts";
import { getUser } from "./users.ts";

const config = configFor(env);
const revoke = (id: string) => revokeKey(config, id);

async function session(userId: string): Promise<string> {
  const opened = await createSession(db, userId, { userAgent: null, ip: null });
  if (!opened.ok) expect.fail(opened.error);
  return opened.value.secret;
}

/** A key made through the admin API, recorded as `userId`'s in `teamId`. */
async function keyOf(userId: string, teamId: string | null) {
  const key = await createKey({ name: unique("key"), scopes: ["read"] });
  expect(await recordKeyOwner(db, key.id, { team_id: teamId, created_by_user_id: userId })).toEqual({
    team_id: null,
    created_by_user_id: null,
  });
  return key;
}

const works = async (secret: string) => (await call("/v1/models", { key: secret })).status;

describe("deprovisioning a person", () => {
  it("disables them, ends every session at once and revokes their keys everywhere", async () => {
    const team = await newTeam();
    const who = identity();
    const { user } = await signedIn(who);
    const { user: colleague } = await signedIn(identity());
    const sessions = [await session(user.id), await session(user.id)];
    const [mine, alsoMine, theirs] = [
      await keyOf(user.id, team.id),
      await keyOf(user.id, null),
      await keyOf(colleague.id, team.id),
    ];
    expect(await works(mine.key)).toBe(200);

    const now = new Date();
    const result = await deprovisionUser(db, user.id, { revokeKey: revoke, now });
    if (!result.ok) expect.fail(result.error);
    expect(result.value.user.before.disabled_at).toBeNull();
    expect(result.value.user.after.disabled_at).toBe(now.toISOString());
    expect(result.value.sessions_revoked).toBe(2);
    expect(result.value.keys_revoked.sort()).toEqual([mine.id, alsoMine.id].sort());
    expect(result.value.keys_reassigned).toEqual([]);

    for (const secret of sessions) expect(await readSession(db, secret)).toBeNull();
    expect(await works(mine.key)).toBe(401);
    expect(await works(alsoMine.key)).toBe(401);
    expect(await works(theirs.key)).toBe(200);
    expect(await signIn(db, who)).toEqual({ ok: false, error: "disabled" });

    const again = await deprovisionUser(db, user.id, { revokeKey: revoke });
    expect(again).toMatchObject({ ok: true, value: { sessions_revoked: 0, keys_revoked: [] } });
    expect((await getUser(db, user.id))?.disabled_at).toBe(now.toISOString());
  });

  it("hands the keys to a team admin of their team instead, who keeps them working", async () => {
    const team = await newTeam();
    const { user } = await signedIn(identity());
    const { user: lead } = await signedIn(identity());
    await addMember(db, { user_id: lead.id, team_id: team.id, role: "team_admin" });
    const key = await keyOf(user.id, team.id);

    const result = await deprovisionUser(db, user.id, { revokeKey: revoke, reassignKeysTo: lead.id });
    if (!result.ok) expect.fail(result.error);
    expect(result.value.keys_revoked).toEqual([]);
    expect(result.value.keys_reassigned).toEqual([{ key_id: key.id, from: user.id, to: lead.id }]);
    expect(await works(key.key)).toBe(200);
    expect(await liveKeysCreatedBy(db, lead.id)).toEqual([{ id: key.id, team_id: team.id }]);
  });

  it("refuses a successor who may not hold every key, and changes nothing", async () => {
    const [team, other] = [await newTeam(), await newTeam()];
    const { user } = await signedIn(identity());
    const { user: developer } = await signedIn(identity());
    const { user: otherLead } = await signedIn(identity());
    await addMember(db, { user_id: developer.id, team_id: team.id, role: "developer" });
    await addMember(db, { user_id: otherLead.id, team_id: other.id, role: "team_admin" });
    const key = await keyOf(user.id, team.id);
    const secret = await session(user.id);

    for (const successor of [developer.id, otherLead.id])
      expect(await deprovisionUser(db, user.id, { revokeKey: revoke, reassignKeysTo: successor })).toEqual({
        ok: false,
        error: "successor_not_team_admin",
      });
    for (const successor of [user.id, "usr_missing"])
      expect(await deprovisionUser(db, user.id, { revokeKey: revoke, reassignKeysTo: successor })).toEqual({
        ok: false,
        error: "successor_unavailable",
      });
    expect((await getUser(db, user.id))?.disabled_at).toBeNull();
    expect(await readSession(db, secret)).not.toBeNull();
    expect(await works(key.key)).toBe(200);

    const { user: admin } = await signedIn(identity());
    await addMember(db, { user_id: admin.id, team_id: null, role: "admin" });
    expect((await deprovisionUser(db, user.id, { revokeKey: revoke, reassignKeysTo: admin.id })).ok).toBe(
      true,
    );
    expect(await works(key.key)).toBe(200);
    expect(await deprovisionUser(db, "usr_missing", { revokeKey: revoke })).toEqual({
      ok: false,
      error: "user_not_found",
    });
  });
});

describe("deprovisioning a group", () => {
  it("deletes its rules, takes what it gave at once and ends the sessions of those left with nothing", async () => {
    const [team, other] = [await newTeam(), await newTeam()];
    const [gone, stays] = [unique("contractors"), unique("staff")];
    const rules = [await rule(gone, team.id, "developer"), await rule(gone, null, "billing")];
    await rule(stays, other.id, "viewer");
    const { user: onlyGone } = await signedIn(identity([gone]));
    const { user: both } = await signedIn(identity([gone, stays]));
    const { user: handGiven } = await signedIn(identity([gone]));
    await addMember(db, { user_id: handGiven.id, team_id: other.id, role: "viewer" });
    const [s1, s2, s3] = [await session(onlyGone.id), await session(both.id), await session(handGiven.id)];

    const result = await deprovisionGroup(db, gone);
    expect(result.role_mappings).toEqual({
      before: [...rules].sort((a, b) => (a.id < b.id ? -1 : 1)),
      after: [],
    });
    expect(result.memberships.map((m) => m.user_id).sort()).toEqual(
      [onlyGone.id, both.id, handGiven.id].sort(),
    );
    expect(result.sessions_ended).toEqual([{ user_id: onlyGone.id, sessions_revoked: 1 }]);
    expect((await listRoleMappings(db)).filter((m) => m.idp_group === gone)).toEqual([]);

    expect(await readSession(db, s1)).toBeNull();
    expect(roles((await readSession(db, s2))?.memberships ?? [])).toEqual([[other.id, "viewer", stays]]);
    expect(roles((await readSession(db, s3))?.memberships ?? [])).toEqual([[other.id, "viewer", null]]);
    expect((await getUser(db, both.id))?.idp_groups).toEqual([stays]);
    expect(await membershipsOf(db, onlyGone.id)).toEqual([]);
  });
});
