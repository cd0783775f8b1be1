import { describe, expect, it } from "vitest";
import { addMember, changeMemberRole } from "../directory/members.ts";
import { db, identity, newTeam, roles, signedIn } from "../directory/testing.ts";
import { disableUser, enableUser } from "../directory/users.ts";
import { DEFAULT_SESSION_POLICY } from "./policy.ts";
import { sessionHash } from "./secret.ts";
import { createSession, pruneSessions, readSession, revokeAllSessions, revokeSession } from "./sessions.ts";

const T0 = new Date("2026-03-02T09:00:00.000Z");
const at = (ms: number) => new Date(T0.getTime() + ms);
const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

async function opened(userId: string, now = T0) {
  const result = await createSession(db, userId, { userAgent: "Mozilla/5.0 test", ip: "203.0.113.7", now });
  if (!result.ok) expect.fail(result.error);
  return result.value;
}

async function stored(hash: string) {
  return db.prepare("SELECT * FROM sessions WHERE id_hash = ?").bind(hash).first<Record<string, unknown>>();
}

describe("sessions", () => {
  it("hand out a secret once and store only its SHA-256", async () => {
    const { user } = await signedIn(identity());
    const { secret, session } = await opened(user.id);
    expect(secret).toMatch(/^sess_[A-Za-z0-9_-]{43}$/);
    expect(session.id).toBe(await sessionHash(secret));
    expect(session).toMatchObject({
      user_id: user.id,
      created_at: T0.toISOString(),
      last_seen_at: T0.toISOString(),
      idle_expires_at: at(12 * HOUR_MS).toISOString(),
      absolute_expires_at: at(7 * 24 * HOUR_MS).toISOString(),
      revoked_at: null,
      user_agent: "Mozilla/5.0 test",
      ip: "203.0.113.7",
    });
    const row = await stored(session.id);
    expect(JSON.stringify(row)).not.toContain(secret.slice("sess_".length));
    expect((await opened(user.id)).secret).not.toBe(secret);
  });

  it("open to the person with their memberships as they are at each request", async () => {
    const team = await newTeam();
    const { user } = await signedIn(identity());
    const { secret } = await opened(user.id);
    const before = await readSession(db, secret, at(MINUTE_MS));
    expect(before?.user.id).toBe(user.id);
    expect(before?.memberships).toEqual([]);

    await addMember(db, { user_id: user.id, team_id: team.id, role: "developer" });
    expect(roles((await readSession(db, secret, at(2 * MINUTE_MS)))?.memberships ?? [])).toEqual([
      [team.id, "developer", null],
    ]);
    await changeMemberRole(db, { user_id: user.id, team_id: team.id, role: "viewer" });
    expect(roles((await readSession(db, secret, at(3 * MINUTE_MS)))?.memberships ?? [])).toEqual([
      [team.id, "viewer", null],
    ]);
  });

  it("answer null for secrets that are malformed, unknown or of another shape", async () => {
    for (const secret of ["", "sess_", "sess_short", `sk_${"a".repeat(48)}`, `sess_${"A".repeat(43)}`])
      expect(await readSession(db, secret, T0)).toBeNull();
  });

  it("end after the idle time, which each use slides", async () => {
    const { user } = await signedIn(identity());
    const { secret } = await opened(user.id);
    const { idleMs } = DEFAULT_SESSION_POLICY;
    expect(await readSession(db, secret, at(idleMs - MINUTE_MS))).not.toBeNull();
    const slid = await readSession(db, secret, at(2 * idleMs - 2 * MINUTE_MS));
    expect(slid?.session.idle_expires_at).toBe(at(2 * idleMs - 2 * MINUTE_MS + idleMs).toISOString());
    expect(await readSession(db, secret, at(3 * idleMs))).toBeNull();
  });

  it("write last-seen at most once a minute", async () => {
    const { user } = await signedIn(identity());
    const { secret, session } = await opened(user.id);
    await readSession(db, secret, at(30_000));
    expect((await stored(session.id))?.last_seen_at).toBe(T0.toISOString());
    const used = await readSession(db, secret, at(MINUTE_MS));
    expect(used?.session.last_seen_at).toBe(at(MINUTE_MS).toISOString());
    expect((await stored(session.id))?.last_seen_at).toBe(at(MINUTE_MS).toISOString());
    await readSession(db, secret, at(MINUTE_MS + 59_000));
    expect((await stored(session.id))?.last_seen_at).toBe(at(MINUTE_MS).toISOString());
  });

  it("end at the absolute expiry however much they are used", async () => {
    const { user } = await signedIn(identity());
    const { secret, session } = await opened(user.id);
    const { absoluteMs, idleMs } = DEFAULT_SESSION_POLICY;
    for (let ms = idleMs / 2; ms < absoluteMs; ms += idleMs / 2)
      expect(await readSession(db, secret, at(ms))).not.toBeNull();
    const last = await readSession(db, secret, at(absoluteMs - MINUTE_MS));
    expect(last?.session.idle_expires_at).toBe(session.absolute_expires_at);
    expect(await readSession(db, secret, at(absoluteMs))).toBeNull();
  });

  it("end when revoked, one at a time or everywhere at once", async () => {
    const { user } = await signedIn(identity());
    const [one, two, three] = [await opened(user.id), await opened(user.id), await opened(user.id)];
    const revoked = await revokeSession(db, one.secret, at(MINUTE_MS));
    expect(revoked).toMatchObject({ id: one.session.id, revoked_at: at(MINUTE_MS).toISOString() });
    expect(await revokeSession(db, one.secret, at(MINUTE_MS))).toBeNull();
    expect(await readSession(db, one.secret, at(2 * MINUTE_MS))).toBeNull();
    expect(await readSession(db, two.secret, at(2 * MINUTE_MS))).not.toBeNull();

    expect(await revokeAllSessions(db, user.id, at(3 * MINUTE_MS))).toBe(2);
    expect(await readSession(db, two.secret, at(4 * MINUTE_MS))).toBeNull();
    expect(await readSession(db, three.secret, at(4 * MINUTE_MS))).toBeNull();
  });

  it("stop working while their person is disabled, and cannot be opened for them", async () => {
    const { user } = await signedIn(identity());
    const { secret } = await opened(user.id);
    await disableUser(db, user.id);
    expect(await readSession(db, secret, at(MINUTE_MS))).toBeNull();
    expect(await createSession(db, user.id, { userAgent: null, ip: null })).toEqual({
      ok: false,
      error: "user_disabled",
    });
    expect(await createSession(db, "usr_missing", { userAgent: null, ip: null })).toEqual({
      ok: false,
      error: "user_not_found",
    });
    await enableUser(db, user.id);
    expect(await readSession(db, secret, at(MINUTE_MS))).not.toBeNull();
  });

  it("are pruned once they can no longer work", async () => {
    const { user } = await signedIn(identity());
    const [live, revoked, idle] = [
      await opened(user.id),
      await opened(user.id),
      await opened(user.id, at(-13 * HOUR_MS)),
    ];
    await revokeSession(db, revoked.secret, T0);
    expect(await pruneSessions(db, at(MINUTE_MS))).toBeGreaterThanOrEqual(2);
    expect(await stored(revoked.session.id)).toBeNull();
    expect(await stored(idle.session.id)).toBeNull();
    expect(await stored(live.session.id)).not.toBeNull();
  });
});
