import { env } from "cloudflare:workers";
import { type AuditPage, auditPageSchema } from "@sdgate/shared";
import { strictly } from "@sdgate/shared/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { AUDIT_LOG_NAME } from "../audit/audit-log.ts";
import type { AuditEntry } from "../audit/chain.ts";
import { call } from "../keys/testing.ts";
import { testAuditEntry } from "../test-support/audit-entries.ts";

async function list(query: string): Promise<AuditPage> {
  const res = await call(`/admin/audit?${query}`, { admin: true });
  expect(res.status, query).toBe(200);
  return strictly(auditPageSchema).parse(await res.json());
}

/** The `seq`s of every row of a filtered listing, `limit` a page, following `next_before`; and the page sizes. */
async function listAll(query: string, limit = 100): Promise<{ seqs: number[]; pages: number[] }> {
  const seqs: number[] = [];
  const pages: number[] = [];
  let before: number | null = null;
  do {
    const page: AuditPage = await list(
      `${query}&limit=${limit}${before === null ? "" : `&before=${before}`}`,
    );
    seqs.push(...page.data.map((row) => row.seq));
    pages.push(page.data.length);
    before = page.next_before;
  } while (before !== null);
  return { seqs, pages };
}

const unique = crypto.randomUUID();
const ACTOR = `service:filters-${unique}`;
const TEAM = `team-${unique}`;
const KEY = `key_filters${unique.slice(0, 8)}`;
const EMAIL = `auditor-${unique}@example.com`;

/** Seven rows by one actor, an hour apart from 2020-03-01T00:00Z, with what each is about. */
const ROWS: Array<Partial<AuditEntry> & { action: string }> = [
  { action: "key.create", key_id: KEY, detail: JSON.stringify({ team_id: TEAM }) },
  { action: "key.create" },
  { action: "team.create", detail: JSON.stringify({ team_id: TEAM }) },
  { action: "key.revoke", key_id: KEY },
  { action: "key.create" },
  { action: "team.create" },
  {
    action: "generation",
    actor: "user:usr_0000000000000000",
    detail: JSON.stringify({ actor_email: EMAIL }),
  },
];
let seqs: number[] = [];

beforeAll(async () => {
  const entries = ROWS.map((fields, hour) => ({
    ...testAuditEntry(fields.action, Date.parse("2020-03-01T00:00:00Z") + hour * 3_600_000),
    actor: ACTOR,
    ...fields,
  }));
  await env.AUDIT_LOG.getByName(AUDIT_LOG_NAME).appendAll(entries);
  const { results } = await env.DB.prepare(
    "SELECT seq FROM audit_log WHERE actor = ? OR instr(detail, ?) > 0 ORDER BY seq",
  )
    .bind(ACTOR, EMAIL)
    .all<{ seq: number }>();
  seqs = results.map((row) => row.seq);
  expect(seqs).toHaveLength(ROWS.length);
});

/** The seeded rows' seqs at these indexes of {@link ROWS}, newest first as the log lists them. */
const rowsAt = (...indexes: number[]) => indexes.map((i) => seqs[i]).reverse();

describe("GET /admin/audit, filtered on the server", () => {
  it("pages through one actor's rows, each page full, `next_before` going on under the filter", async () => {
    const { seqs: listed, pages } = await listAll(`actor=${encodeURIComponent(ACTOR)}`, 2);
    expect(listed).toEqual(rowsAt(0, 1, 2, 3, 4, 5));
    expect(pages).toEqual([2, 2, 2]);
  });

  it("takes an action exactly, or every action of a kind by its prefix ending in a dot", async () => {
    const actor = `actor=${encodeURIComponent(ACTOR)}`;
    expect((await listAll(`${actor}&action=key.`, 3)).seqs).toEqual(rowsAt(0, 1, 3, 4));
    expect((await listAll(`${actor}&action=key.create`)).seqs).toEqual(rowsAt(0, 1, 4));
    expect((await listAll(`${actor}&action=key`)).seqs).toEqual([]);
  });

  it("finds a person's rows by their email, and the rows about a target by key id or recorded id", async () => {
    expect((await listAll(`actor=${encodeURIComponent(EMAIL)}`)).seqs).toEqual(rowsAt(6));
    expect((await listAll(`target=${TEAM}`)).seqs).toEqual(rowsAt(0, 2));
    expect((await listAll(`target=${KEY}`)).seqs).toEqual(rowsAt(0, 3));
    expect((await listAll(`key_id=${KEY}&action=key.revoke`)).seqs).toEqual(rowsAt(3));
  });

  it("keeps the rows in [from, to)", async () => {
    const actor = `actor=${encodeURIComponent(ACTOR)}`;
    const range = "from=2020-03-01T01:00:00Z&to=2020-03-01T04:00:00Z";
    expect((await listAll(`${actor}&${range}`, 1)).seqs).toEqual(rowsAt(1, 2, 3));
    expect((await listAll(`${actor}&from=2020-03-02`)).seqs).toEqual([]);
  });

  it("refuses a bad filter with a 400 naming it", async () => {
    for (const [query, param] of [
      ["action=Key.Create", "action"],
      ["action=key.create.more", "action"],
      ["actor=", "actor"],
      [`target=${"x".repeat(201)}`, "target"],
      ["from=yesterday", "from"],
      ["to=2020-13-01", "to"],
      ["from=2020-03-02&to=2020-03-01", "from"],
    ]) {
      const res = await call(`/admin/audit?${query}`, { admin: true });
      expect(res.status, query).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: "invalid_request", param } });
    }
  });

  it("audits what a listing looked for", async () => {
    await list(`actor=${encodeURIComponent(ACTOR)}&action=key.`);
    const listings = await list("actor=break_glass&action=audit.list&limit=50");
    expect(listings.data.map((row) => row.detail)).toContainEqual(
      expect.objectContaining({ actor: ACTOR, action: "key." }),
    );
  });
});
