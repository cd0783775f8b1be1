import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { testAuditEntry } from "../test-support/audit-entries.ts";
import { AUDIT_LOG_NAME } from "./audit-log.ts";
import { type AuditFilters, auditListSql, listAudit } from "./list.ts";

/** The steps of SQLite's plan for what `listAudit` runs under `filters`. */
async function planOf(filters: AuditFilters): Promise<string[]> {
  const { sql, bindings } = auditListSql({ filters, limit: 50, before: null });
  const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .bind(...bindings)
    .all<{ detail: string }>();
  return results.map((step) => step.detail);
}

describe("the audit listing's filters read through indexes (migration 0024)", () => {
  it.each<[string, AuditFilters, string[]]>([
    ["one action", { action: "key.create" }, ["audit_log_by_action_seq"]],
    ["an action kind", { action: "key." }, ["audit_log_by_action_seq"]],
    ["a date range", { from: "2020-03-01T00:00:00Z", to: "2020-03-02T00:00:00Z" }, ["audit_log_by_at"]],
    ["a key id", { keyId: "key_plan" }, ["audit_log_by_key"]],
    [
      "an actor or their email",
      { actor: "auditor@example.com" },
      ["audit_log_by_actor_seq", "audit_log_by_actor_email"],
    ],
  ])("%s: searches an index, never scans the whole log", async (_name, filters, indexes) => {
    const plan = await planOf(filters);
    for (const index of indexes) {
      expect(plan, plan.join("\n")).toContainEqual(
        expect.stringMatching(new RegExp(`^SEARCH audit_log USING (COVERING )?INDEX ${index} `)),
      );
    }
    expect(plan, plan.join("\n")).not.toContainEqual(expect.stringMatching(/^SCAN audit_log/));
  });

  it("an action kind as a range keeps exactly the actions that start with it", async () => {
    const kind = `plan${crypto.randomUUID().slice(0, 8)}`;
    const actions = [`${kind}.`, `${kind}.a`, `${kind}.b.c`, `${kind}/`, `${kind}-x`, kind, `${kind}x.a`];
    await env.AUDIT_LOG.getByName(AUDIT_LOG_NAME).appendAll(actions.map((action) => testAuditEntry(action)));
    const page = await listAudit(env.DB, { filters: { action: `${kind}.` }, limit: 50, before: null });
    // What the earlier `substr(action, 1, ?) = ?` matched, read straight from the log.
    const { results } = await env.DB.prepare(
      "SELECT action FROM audit_log WHERE substr(action, 1, ?) = ? ORDER BY seq DESC",
    )
      .bind(kind.length + 1, `${kind}.`)
      .all<{ action: string }>();
    expect(page.data.map((row) => row.action)).toEqual(results.map((row) => row.action));
    expect(page.data.map((row) => row.action)).toEqual([`${kind}.b.c`, `${kind}.a`, `${kind}.`]);
  });
});
