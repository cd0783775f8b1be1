import { env } from "cloudflare:workers";
import { type AuditRow, auditPageSchema, type ChainReport, chainReportSchema } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import { call, createKey } from "../keys/testing.ts";
import { testAuditEntry } from "../test-support/audit-entries.ts";
import { AUDIT_LOG_NAME } from "./audit-log.ts";
import { ChainVerifier, chainRow, GENESIS_HASH, type StoredAuditRow } from "./chain.ts";

async function verify(): Promise<ChainReport> {
  const res = await call("/admin/audit/verify", { admin: true });
  expect(res.status).toBe(200);
  return chainReportSchema.parse(await res.json());
}

async function rowsFor(keyId: string): Promise<AuditRow[]> {
  const res = await call(`/admin/audit?key_id=${keyId}&limit=500`, { admin: true });
  expect(res.status).toBe(200);
  return auditPageSchema.parse(await res.json()).data;
}

async function rowAt(seq: number): Promise<StoredAuditRow> {
  return (await env.DB.prepare("SELECT * FROM audit_log WHERE seq = ?")
    .bind(seq)
    .first<StoredAuditRow>()) as StoredAuditRow;
}

describe("the audit chain", () => {
  it("records every admin action on a key, newest first", async () => {
    const created = await createKey({ name: "audited" });
    await call(`/admin/keys/${created.id}/rotate`, { method: "POST", admin: true });
    await call(`/admin/keys/${created.id}`, { method: "DELETE", admin: true });
    const rows = await rowsFor(created.id);
    expect(rows.map((r) => [r.action, r.actor, r.status])).toEqual([
      ["key.revoke", "break_glass", 200],
      ["key.rotate", "break_glass", 200],
      ["key.create", "break_glass", 201],
    ]);
    expect(rows[0]?.seq).toBeGreaterThan(rows[1]?.seq as number);
    expect(rows[2]?.detail).toMatchObject({ name: "audited", request_id: expect.stringMatching(/^req_/) });
  });

  it("pages with next_before and filters by key", async () => {
    const created = await createKey({ name: "paged" });
    for (let i = 0; i < 3; i++)
      await call(`/admin/keys/${created.id}/rotate`, { method: "POST", admin: true });
    const first = auditPageSchema.parse(
      await (await call(`/admin/audit?key_id=${created.id}&limit=2`, { admin: true })).json(),
    );
    expect(first.data).toHaveLength(2);
    const second = auditPageSchema.parse(
      await (
        await call(`/admin/audit?key_id=${created.id}&limit=2&before=${first.next_before}`, { admin: true })
      ).json(),
    );
    expect(second.data.map((r) => r.action)).toEqual(["key.rotate", "key.create"]);
    expect(second.next_before).toBeNull();
    expect([...first.data, ...second.data].every((r) => r.key_id === created.id)).toBe(true);
  });

  it("never forks, however many appends race", async () => {
    const stub = env.AUDIT_LOG.getByName(AUDIT_LOG_NAME);
    const appended = await Promise.all(
      Array.from({ length: 120 }, (_, i) => stub.append(testAuditEntry(`race.${i}`))),
    );
    const rows = appended.filter((row) => row !== null);
    expect(rows).toHaveLength(120);
    const seqs = rows.map((r) => r.seq).sort((a, b) => a - b);
    expect(new Set(seqs).size).toBe(120);
    expect((seqs.at(-1) as number) - (seqs[0] as number)).toBe(119);
    expect(new Set(rows.map((r) => r.prev_hash)).size).toBe(120);
    expect((await verify()).ok).toBe(true);
  });

  it("verifies: the whole chain holds, up to the head the log remembers", async () => {
    await createKey({ name: "verified" });
    const report = await verify();
    expect(report).toMatchObject({ ok: true, first_broken: null });
    expect(report.rows_checked).toBeGreaterThanOrEqual(report.head.seq);
    expect(report.head.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("shows an edited row: verify reports it as the first broken one", async () => {
    const created = await createKey({ name: "tampered" });
    const [row] = await rowsFor(created.id);
    const seq = row?.seq as number;
    const original = await rowAt(seq);
    await env.DB.prepare("UPDATE audit_log SET status = 500 WHERE seq = ?").bind(seq).run();
    try {
      const report = await verify();
      expect(report.ok).toBe(false);
      expect(report.first_broken).toMatchObject({
        seq,
        reason: "hash_mismatch",
        message: expect.any(String),
      });
    } finally {
      await env.DB.prepare("UPDATE audit_log SET status = ? WHERE seq = ?").bind(original.status, seq).run();
    }
    expect((await verify()).ok).toBe(true);
  });

  it("shows a deleted row, and a rehashed edit, at the row after", async () => {
    const created = await createKey({ name: "deleted" });
    const seq = (await rowsFor(created.id))[0]?.seq as number;
    // Make sure a row follows it.
    await call(`/admin/keys/${created.id}/rotate`, { method: "POST", admin: true });
    const original = await rowAt(seq);
    await env.DB.prepare("DELETE FROM audit_log WHERE seq = ?").bind(seq).run();
    try {
      expect((await verify()).first_broken).toMatchObject({ seq, reason: "gap" });
    } finally {
      const cols = Object.keys(original);
      await env.DB.prepare(
        `INSERT INTO audit_log (${cols.join(", ")}) VALUES (${cols.map(() => "?").join(", ")})`,
      )
        .bind(...cols.map((c) => original[c as keyof StoredAuditRow]))
        .run();
    }
    // An edit whose hash is recomputed still breaks the link from the next row.
    const previous = (await rowAt(seq - 1)) ?? { hash: GENESIS_HASH, seq: 0 };
    const forged = await chainRow({ seq: seq - 1, hash: previous.hash }, { ...original, status: 999 });
    await env.DB.prepare("UPDATE audit_log SET status = 999, hash = ? WHERE seq = ?")
      .bind(forged.hash, seq)
      .run();
    try {
      expect((await verify()).first_broken).toMatchObject({ seq: seq + 1, reason: "prev_hash_mismatch" });
    } finally {
      await env.DB.prepare("UPDATE audit_log SET status = ?, hash = ? WHERE seq = ?")
        .bind(original.status, original.hash, seq)
        .run();
    }
    expect((await verify()).ok).toBe(true);
  });

  it("shows rows deleted at the end against the head the log remembers", async () => {
    const verifier = new ChainVerifier();
    const head = { seq: 0, hash: GENESIS_HASH };
    const a = await chainRow(head, testAuditEntry("a"));
    const b = await chainRow(a, testAuditEntry("b"));
    expect(await verifier.push(a)).toBeNull();
    expect(verifier.finish({ seq: b.seq, hash: b.hash })).toEqual({ seq: 2, reason: "truncated" });
    const whole = new ChainVerifier();
    await whole.push(a);
    await whole.push(b);
    expect(whole.finish({ seq: b.seq, hash: b.hash })).toBeNull();
  });
});
