import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { StoredAuditRow } from "../../audit/chain.ts";
import { call, createKey } from "../../keys/testing.ts";
import { adminAudit } from "./index.ts";

/** The audit rows of the request that got `res`, found by the request id each row's detail carries. */
async function rowsOf(res: Response): Promise<StoredAuditRow[]> {
  const requestId = res.headers.get("X-Request-Id") ?? "";
  const { results } = await env.DB.prepare("SELECT * FROM audit_log WHERE detail LIKE ? ORDER BY seq")
    .bind(`%"request_id":"${requestId}"%`)
    .all<StoredAuditRow>();
  return results;
}

describe("adminAudit", () => {
  it("records an action that failed, with the failure's status and what the handler had noted", async () => {
    const created = await createKey({ name: "audit-failure" });
    const res = await call(`/admin/keys/${created.id}`, {
      method: "PATCH",
      admin: true,
      body: JSON.stringify({ limits: { concurrency: -1 } }),
    });
    expect(res.status).toBe(400);
    const rows = await rowsOf(res);
    expect(rows.map((row) => [row.action, row.key_id, row.status])).toEqual([
      ["key.update", created.id, 400],
    ]);
  });

  it("records a refused body of an action whose key does not exist yet, with no key", async () => {
    const res = await call("/admin/keys", {
      method: "POST",
      admin: true,
      body: JSON.stringify({ name: "" }),
    });
    expect(res.status).toBe(400);
    expect((await rowsOf(res)).map((row) => [row.action, row.key_id, row.status])).toEqual([
      ["key.create", null, 400],
    ]);
  });

  it("records a success with the key the handler made and its details", async () => {
    const res = await call("/admin/keys", {
      method: "POST",
      admin: true,
      body: JSON.stringify({ name: "noted" }),
    });
    const { id } = (await res.json()) as { id: string };
    const [row] = await rowsOf(res);
    expect(row).toMatchObject({ action: "key.create", key_id: id, status: 201 });
    expect(JSON.parse(row?.detail ?? "{}")).toMatchObject({ name: "noted" });
  });

  it("records something that is no key id as no key", async () => {
    const res = await call("/admin/keys/not-a-key", { admin: true });
    expect(res.status).toBe(404);
    expect((await rowsOf(res)).map((row) => [row.action, row.key_id, row.status])).toEqual([
      ["key.get", null, 404],
    ]);
  });

  it("records nothing for a request without the admin token", async () => {
    const res = await call("/admin/keys", { method: "POST", body: JSON.stringify({ name: "anonymous" }) });
    expect(res.status).toBe(401);
    expect(await rowsOf(res)).toEqual([]);
  });

  it("refuses a name that is no action when it is built", () => {
    expect(() => adminAudit("Create key")).toThrow(/action/);
  });
});
