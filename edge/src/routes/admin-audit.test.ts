import { env } from "cloudflare:workers";
import { type ChainReport, chainReportSchema, MAX_VERIFY_ROWS } from "@sdgate/shared";
import { beforeAll, describe, expect, it } from "vitest";
import { AUDIT_LOG_NAME } from "../audit/audit-log.ts";
import type { StoredAuditRow } from "../audit/chain.ts";
import { call } from "../keys/testing.ts";
import { testAuditEntry } from "../test-support/audit-entries.ts";
import type { Envelope } from "../test-support/harness.ts";

async function page(query: string): Promise<ChainReport> {
  const res = await call(`/admin/audit/verify?${query}`, { admin: true });
  expect(res.status).toBe(200);
  return chainReportSchema.parse(await res.json());
}

async function rowAt(seq: number): Promise<StoredAuditRow> {
  return (await env.DB.prepare("SELECT * FROM audit_log WHERE seq = ?")
    .bind(seq)
    .first<StoredAuditRow>()) as StoredAuditRow;
}

beforeAll(async () => {
  const stub = env.AUDIT_LOG.getByName(AUDIT_LOG_NAME);
  for (let i = 0; i < 12; i++) {
    await stub.append(testAuditEntry(`paging.${i}`));
  }
});

describe("GET /admin/audit/verify, page by page", () => {
  it("walks the chain `limit` rows a page; only the last page checks the head and may say ok", async () => {
    const first = await page("limit=5");
    expect(first).toMatchObject({
      ok: false,
      complete: false,
      rows_checked: 5,
      first_broken: null,
      from: { seq: 0 },
      running_head: { seq: 5 },
      next_after_seq: 5,
    });
    let current = first;
    let checked = first.rows_checked;
    let pages = 1;
    while (!current.complete) {
      const next = await page(`limit=5&after_seq=${current.next_after_seq}`);
      expect(next.from).toEqual(current.running_head);
      checked += next.rows_checked;
      current = next;
      pages++;
    }
    expect(current).toMatchObject({ ok: true, first_broken: null, next_after_seq: null });
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(checked).toBeGreaterThanOrEqual(current.head.seq);
  });

  it("re-reads the row at the cursor from D1: a hash changed there since shows at the next row", async () => {
    const cursor = 4;
    const original = await rowAt(cursor);
    await env.DB.prepare("UPDATE audit_log SET hash = ? WHERE seq = ?").bind("f".repeat(64), cursor).run();
    try {
      const next = await page(`limit=5&after_seq=${cursor}`);
      expect(next.from).toEqual({ seq: cursor, hash: "f".repeat(64) });
      expect(next).toMatchObject({
        ok: false,
        complete: true,
        first_broken: { seq: cursor + 1, reason: "prev_hash_mismatch" },
      });
    } finally {
      await env.DB.prepare("UPDATE audit_log SET hash = ? WHERE seq = ?").bind(original.hash, cursor).run();
    }
  });

  it("reports the cursor's row deleted since as a gap there", async () => {
    const cursor = 6;
    const original = await rowAt(cursor);
    await env.DB.prepare("DELETE FROM audit_log WHERE seq = ?").bind(cursor).run();
    try {
      expect(await page(`after_seq=${cursor}`)).toMatchObject({
        ok: false,
        complete: true,
        rows_checked: 0,
        from: null,
        first_broken: { seq: cursor, reason: "gap" },
      });
    } finally {
      const columns = Object.keys(original);
      await env.DB.prepare(
        `INSERT INTO audit_log (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`,
      )
        .bind(...columns.map((column) => original[column as keyof StoredAuditRow]))
        .run();
    }
    expect((await page(`after_seq=${cursor}`)).ok).toBe(true);
  });

  it("still walks the whole chain ok after filtered listings (each audited as a row of its own)", async () => {
    for (const query of ["action=paging.", "actor=test&from=2020-01-01", "target=team_x&limit=1"]) {
      expect((await call(`/admin/audit?${query}`, { admin: true })).status).toBe(200);
    }
    let report = await page("limit=5");
    while (!report.complete) report = await page(`limit=5&after_seq=${report.next_after_seq}`);
    expect(report).toMatchObject({ ok: true, first_broken: null });
    expect(report.head.seq).toBeGreaterThanOrEqual(15);
  });

  it.each([
    ["after_seq=999999999", "after_seq"],
    ["after_seq=-1", "after_seq"],
    ["limit=0", "limit"],
    [`limit=${MAX_VERIFY_ROWS + 1}`, "limit"],
  ])("refuses %s with 400 naming %s", async (query, param) => {
    const res = await call(`/admin/audit/verify?${query}`, { admin: true });
    expect(res.status).toBe(400);
    expect(((await res.json()) as Envelope).error).toMatchObject({ code: "invalid_request", param });
  });
});
