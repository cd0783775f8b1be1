import { env } from "cloudflare:workers";
import { type AuditCheckpoint, type ChainReport, chainReportSchema } from "@sdgate/shared";
import { beforeEach, describe, expect, it } from "vitest";
import { call } from "../keys/testing.ts";
import { testAuditEntry } from "../test-support/audit-entries.ts";
import { AUDIT_LOG_NAME } from "./audit-log.ts";
import type { StoredAuditRow } from "./chain.ts";
import { attestationOf, auditCheckpoint, PRUNE_ACTION, pruneAudit } from "./retention.ts";

const DAY_MS = 86_400_000;
const RETENTION_MS = 400 * DAY_MS;
const target = { db: env.DB, auditLog: env.AUDIT_LOG };

/** Appends rows made at `atMs`; their seqs. */
async function append(count: number, atMs: number): Promise<number[]> {
  const stub = env.AUDIT_LOG.getByName(AUDIT_LOG_NAME);
  const seqs: number[] = [];
  for (let i = 0; i < count; i++) {
    const row = await stub.append(testAuditEntry(`retention.${i}`, atMs));
    if (!row) throw new Error("append failed");
    seqs.push(row.seq);
  }
  return seqs;
}

async function rows(): Promise<StoredAuditRow[]> {
  return (await env.DB.prepare("SELECT * FROM audit_log ORDER BY seq").all<StoredAuditRow>()).results;
}

async function verifyAll(): Promise<{ last: ChainReport; rows: number; pages: number }> {
  let after: number | null = null;
  let total = 0;
  for (let pages = 1; ; pages++) {
    const res = await call(`/admin/audit/verify?limit=2${after === null ? "" : `&after_seq=${after}`}`, {
      admin: true,
    });
    expect(res.status).toBe(200);
    const page = chainReportSchema.parse(await res.json());
    total += page.rows_checked;
    if (page.complete) return { last: page, rows: total, pages };
    expect(page).toMatchObject({ ok: false, first_broken: null });
    after = page.next_after_seq;
  }
}

// The tests share one chain. Each moves "now" 1,000 days further ahead, so that every row written
// before it, recent ones of earlier tests included, is past the 400 days; rows "made" 300 days before
// that now stand for its recent ones.
let shiftDays = 0;
let laterMs = 0;
let recentMs = 0;
beforeEach(() => {
  shiftDays += 1000;
  laterMs = Date.now() + (shiftDays + 500) * DAY_MS;
  recentMs = laterMs - 300 * DAY_MS;
});

describe("audit retention", () => {
  it("deletes the rows past retention behind an attested checkpoint that verification starts from", async () => {
    const startSeq = (await auditCheckpoint(env.DB))?.seq ?? 0;
    const old = await append(3, Date.now());
    const recent = await append(2, recentMs);
    const lastOld = old.at(-1) as number;

    const result = await pruneAudit(target, RETENTION_MS, { nowMs: laterMs });
    expect(result.stopped).toBeNull();
    expect(result.checkpoint?.seq).toBe(lastOld);
    expect(result.rowsDeleted).toBe(lastOld - startSeq);
    const kept = await rows();
    expect(kept[0]?.seq).toBe(recent[0]);
    expect(kept[0]?.prev_hash).toBe(result.checkpoint?.hash);
    const attest = kept.find((row) => row.action === PRUNE_ACTION);
    expect(JSON.parse(attest?.detail ?? "{}")).toMatchObject({
      through_seq: lastOld,
      rows: lastOld - startSeq,
    });
    expect(await attestationOf(env.DB, result.checkpoint as AuditCheckpoint)).toBe(attest?.seq);

    const { last, rows: checked, pages } = await verifyAll();
    expect(last).toMatchObject({ ok: true, first_broken: null, checkpoint: { seq: lastOld } });
    expect(checked).toBeGreaterThanOrEqual(kept.length);
    expect(pages).toBeGreaterThan(1);

    // Nothing more is old: a second run deletes nothing and writes nothing.
    const before = (await rows()).length;
    const again = await pruneAudit(target, RETENTION_MS, { nowMs: laterMs });
    expect(again).toMatchObject({ rowsDeleted: 0, stopped: null, checkpoint: { seq: lastOld } });
    expect((await rows()).length).toBe(before);
  });

  it("keeps a young row and every row after it, however old", async () => {
    const [young] = await append(1, recentMs);
    await append(2, Date.now());
    await pruneAudit(target, RETENTION_MS, { nowMs: laterMs });
    expect((await rows())[0]?.seq).toBe(young);
  });

  it("bounds its work: batches of batchRows, at most maxBatches a run, each attested", async () => {
    const startSeq = (await auditCheckpoint(env.DB))?.seq ?? 0;
    const old = await append(7, Date.now());
    await append(1, recentMs);
    const first = await pruneAudit(target, RETENTION_MS, { nowMs: laterMs, batchRows: 3, maxBatches: 2 });
    expect(first).toMatchObject({ rowsDeleted: 6, stopped: null, checkpoint: { seq: startSeq + 6 } });
    const attestations = (await rows()).filter((row) => row.action === PRUNE_ACTION);
    expect(attestations).toHaveLength(2);
    const second = await pruneAudit(target, RETENTION_MS, { nowMs: laterMs, batchRows: 3, maxBatches: 2 });
    expect(second.checkpoint?.seq).toBe(old.at(-1));
    expect((await verifyAll()).last.ok).toBe(true);
  });

  it("never deletes rows that do not verify: a tampered row stops pruning and stays for verify to show", async () => {
    const old = await append(4, Date.now());
    await append(1, recentMs);
    const tampered = old[1] as number;
    await env.DB.prepare("UPDATE audit_log SET status = 500 WHERE seq = ?").bind(tampered).run();
    try {
      const result = await pruneAudit(target, RETENTION_MS, { nowMs: laterMs });
      expect(result.stopped).toBe("chain_broken");
      expect((await rows()).some((row) => row.seq === tampered)).toBe(true);
      expect((await verifyAll()).last.first_broken).toMatchObject({ seq: tampered, reason: "hash_mismatch" });
    } finally {
      await env.DB.prepare("UPDATE audit_log SET status = 200 WHERE seq = ?").bind(tampered).run();
    }
  });
  // Last: it leaves the chain's start unattested.
  it("shows a checkpoint moved by hand (rows deleted behind it) as unattested", async () => {
    await append(3, Date.now());
    const recent = await append(3, recentMs);
    await pruneAudit(target, RETENTION_MS, { nowMs: laterMs });
    expect((await verifyAll()).last.ok).toBe(true);
    // Someone deletes the next row too and moves the checkpoint over it so the chain still links.
    const victim = (await rows()).find((row) => row.seq === recent[0]) as StoredAuditRow;
    await env.DB.batch([
      env.DB.prepare("DELETE FROM audit_log WHERE seq <= ?").bind(victim.seq),
      env.DB.prepare("UPDATE audit_checkpoint SET seq = ?, hash = ?").bind(victim.seq, victim.hash),
    ]);
    expect(await auditCheckpoint(env.DB)).toMatchObject({ seq: victim.seq });
    expect((await verifyAll()).last.first_broken).toMatchObject({
      seq: victim.seq,
      reason: "unattested_checkpoint",
    });
  });
});
