import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AUDIT_LOG_NAME } from "../audit/audit-log.ts";
import { auditCheckpoint } from "../audit/retention.ts";
import { db, identity, signedIn } from "../identity/directory/testing.ts";
import { createSession, readSession, revokeSession } from "../identity/sessions/index.ts";
import { testAuditEntry } from "../test-support/audit-entries.ts";
import { fleetEnv } from "../test-support/fleet.ts";
import { onSchedule } from "./scheduled.ts";

const DAY_MS = 86_400_000;

afterEach(() => {
  vi.useRealTimers();
});

async function appendRows(count: number): Promise<number> {
  const stub = env.AUDIT_LOG.getByName(AUDIT_LOG_NAME);
  let seq = 0;
  for (let i = 0; i < count; i++) {
    const row = await stub.append(testAuditEntry(`scheduled.${i}`));
    seq = row?.seq ?? seq;
  }
  return seq;
}

describe("the cron trigger", () => {
  it("keeps every audit row when SDGATE_AUDIT_RETENTION_DAYS is 0, whatever their age", async () => {
    await appendRows(2);
    // Test files share the database: what other files pruned before stays as it was.
    const before = await auditCheckpoint(env.DB);
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 10_000 * DAY_MS);
    const forever = { ...fleetEnv(["healthy"]), SDGATE_AUDIT_RETENTION_DAYS: "0" };
    await onSchedule(createScheduledController(), forever);
    expect(await auditCheckpoint(env.DB)).toEqual(before);
  });

  it("probes the fleet and prunes the audit rows past SDGATE_AUDIT_RETENTION_DAYS", async () => {
    const last = await appendRows(3);
    const before = await auditCheckpoint(env.DB);
    const testEnv = { ...fleetEnv(["healthy"]), SDGATE_AUDIT_RETENTION_DAYS: "30" };
    await onSchedule(createScheduledController(), testEnv);
    expect(await auditCheckpoint(env.DB)).toEqual(before);

    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 31 * DAY_MS);
    await onSchedule(createScheduledController(), testEnv);
    expect((await auditCheckpoint(env.DB))?.seq).toBeGreaterThanOrEqual(last);
    const oldest = await env.DB.prepare("SELECT MIN(seq) AS seq FROM audit_log").first<{ seq: number }>();
    expect(oldest?.seq).toBeGreaterThan(last);
    const health = await env.BACKEND_HEALTH.getByName(testEnv.fleet).describe();
    expect(Object.keys(health.probes)).toEqual(["fake-healthy"]);
  });

  it("deletes ended sessions and spent sign-in links' nonces, and keeps live ones", async () => {
    const { user } = await signedIn(identity());
    const live = await createSession(db, user.id, { userAgent: null, ip: null });
    const ended = await createSession(db, user.id, { userAgent: null, ip: null });
    if (!live.ok || !ended.ok) throw new Error("sessions expected");
    await revokeSession(db, ended.value.secret);
    const past = new Date(Date.now() - 60_000).toISOString();
    await db
      .prepare("INSERT INTO used_sign_in_links (nonce, used_at, expires_at) VALUES (?, ?, ?), (?, ?, ?)")
      .bind("a".repeat(32), past, past, "b".repeat(32), past, new Date(Date.now() + 60_000).toISOString())
      .run();
    await onSchedule(createScheduledController(), fleetEnv(["healthy"]));
    const sessions = await db.prepare("SELECT id_hash FROM sessions WHERE user_id = ?").bind(user.id).all();
    expect(sessions.results).toHaveLength(1);
    expect(await readSession(db, live.value.secret)).not.toBeNull();
    const nonces = await db.prepare("SELECT nonce FROM used_sign_in_links").all<{ nonce: string }>();
    expect(nonces.results.map((row) => row.nonce)).toEqual(["b".repeat(32)]);
  });
});
