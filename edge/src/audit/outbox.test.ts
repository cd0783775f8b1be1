import { env, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { KeyState } from "../limits/key-state.ts";
import { RESERVATION_LEASE_MS } from "../limits/key-state.ts";
import { freshKeyState, TEST_SECRET_HASH } from "../test-support/key-state.ts";
import { AUDIT_LOG_NAME, type AuditLog } from "./audit-log.ts";
import type { StoredAuditRow } from "./chain.ts";

const SECRET_HASH = TEST_SECRET_HASH;

async function generationRows(keyId: string): Promise<StoredAuditRow[]> {
  const { results } = await env.DB.prepare(
    "SELECT * FROM audit_log WHERE key_id = ? AND action = 'generation' ORDER BY seq",
  )
    .bind(keyId)
    .all<StoredAuditRow>();
  return results;
}

/** Admits and settles `count` generations of `cost` each, charging `charged` for each. */
async function settleGenerations(
  stub: DurableObjectStub<KeyState>,
  count: number,
  cost: number,
  charged: number,
) {
  for (let i = 0; i < count; i++) {
    const { admission } = await stub.authorize(SECRET_HASH, null, {
      scope: "generate",
      cost,
      audit: { requestHash: `${i}`.padStart(64, "0"), requestId: `req_${i}` },
    });
    if (!admission?.ok || admission.reservationId === null) throw new Error("not admitted");
    await stub.settle(admission.reservationId, charged, {
      status: 200,
      backend: "local-a",
      latencyMs: 40,
      detail: { cache: "MISS" },
    });
  }
}

/** Runs the audit log's alarm until its queue is in D1 (a drain an append started may still be running). */
async function drainLog(log: DurableObjectStub<AuditLog>) {
  for (let i = 0; i < 50 && (await log.pending()) > 0; i++) {
    await runDurableObjectAlarm(log);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  expect(await log.pending()).toBe(0);
}

/** Every later task of the key's object, run now (its alarm), until its outbox is empty. */
async function drainOutbox(stub: DurableObjectStub<KeyState>) {
  for (let i = 0; i < 10 && (await stub.pendingAudit()) > 0; i++) await runDurableObjectAlarm(stub);
  expect(await stub.pendingAudit()).toBe(0);
}

// D1 that refuses every write, as an outage would.
function failingD1(real: D1Database): D1Database {
  return new Proxy(real, {
    get(target, property) {
      if (property === "batch") return () => Promise.reject(new Error("D1 is unavailable"));
      const value = Reflect.get(target, property);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

describe("audit rows of generations, through the key's outbox", () => {
  it("writes each settled generation's row with exactly the credits the ledger charged", async () => {
    const { id, stub } = await freshKeyState({ credits: 10_000 });
    await settleGenerations(stub, 5, 300, 200);
    await drainOutbox(stub);
    const rows = await generationRows(id);
    expect(rows).toHaveLength(5);
    expect(rows.every((row) => row.cost === 200 && row.status === 200 && row.backend === "local-a")).toBe(
      true,
    );
    expect(JSON.parse(rows[0]?.detail ?? "{}")).toEqual({ cache: "MISS", request_id: "req_0" });
    const charged = rows.reduce((sum, row) => sum + (row.cost ?? 0), 0);
    expect((await stub.snapshot()).creditsRemaining).toBe(10_000 - charged);
  });

  it("writes a replay's row as it is admitted, charging nothing", async () => {
    const { id, stub } = await freshKeyState();
    await stub.authorize(SECRET_HASH, null, {
      scope: "generate",
      cost: null,
      audit: {
        requestHash: "e".repeat(64),
        requestId: "req_hit",
        hit: { status: 200, backend: null, latencyMs: 1, detail: { cache: "HIT" } },
      },
    });
    await drainOutbox(stub);
    expect((await generationRows(id)).map((row) => [row.cost, JSON.parse(row.detail ?? "{}").cache])).toEqual(
      [[0, "HIT"]],
    );
  });

  it("charges and audits a reservation its Worker never settled, when its lease ends, with no traffic", async () => {
    const { id, stub } = await freshKeyState({ credits: 1_000 });
    const t0 = Date.now();
    await runInDurableObject(stub, (instance: KeyState) => {
      instance.now = () => t0;
    });
    await stub.authorize(SECRET_HASH, null, {
      scope: "generate",
      cost: 250,
      audit: { requestHash: "d".repeat(64), requestId: "req_lost" },
    });
    await runInDurableObject(stub, (instance: KeyState) => {
      instance.now = () => t0 + RESERVATION_LEASE_MS;
    });
    await runDurableObjectAlarm(stub);
    await drainOutbox(stub);
    expect(await stub.snapshot()).toMatchObject({ inFlight: 0, creditsRemaining: 750 });
    const [row] = await generationRows(id);
    expect(row).toMatchObject({ cost: 250, status: null, request_hash: "d".repeat(64) });
    expect(JSON.parse(row?.detail ?? "{}")).toMatchObject({
      settled_by: "lease_expired",
      request_id: "req_lost",
    });
  });

  it("loses and doubles nothing when D1 fails and the writer is killed mid-way", async () => {
    const { id, stub } = await freshKeyState({ credits: 100_000 });
    const log = env.AUDIT_LOG.getByName(AUDIT_LOG_NAME);
    // D1 goes down for the AuditLog: the outbox still hands its rows over, into the log's own storage.
    await runInDurableObject(log, (instance: AuditLog) => {
      const writable = instance as unknown as { env: typeof env };
      writable.env = { ...writable.env, DB: failingD1(env.DB) };
    });
    await settleGenerations(stub, 30, 100, 100);
    await drainOutbox(stub);
    expect(await generationRows(id)).toHaveLength(0);
    expect(await log.pending()).toBeGreaterThanOrEqual(30);
    // The writer dies; its successor finds the queue in storage (and the real D1) and writes it.
    await evictDurableObject(log);
    await drainLog(log);
    const rows = await generationRows(id);
    expect(rows).toHaveLength(30);
    expect(rows.reduce((sum, row) => sum + (row.cost ?? 0), 0)).toBe(3_000);
    expect((await stub.snapshot()).creditsRemaining).toBe(100_000 - 3_000);
  });

  it("writes a row once when its hand-over is repeated, or D1 already has it when the writer restarts", async () => {
    const log = env.AUDIT_LOG.getByName(AUDIT_LOG_NAME);
    const entry = {
      at: new Date().toISOString(),
      actor: "key_twice",
      action: "generation",
      key_id: `key_${crypto.randomUUID().slice(0, 8)}`,
      request_hash: null,
      backend: null,
      status: 200,
      latency_ms: 1,
      cost: 7,
      detail: null,
    };
    const id = `out_${crypto.randomUUID()}`;
    expect(await log.accept([{ id, entry }])).toBe(1);
    // The sender lost the answer and sends again.
    expect(await log.accept([{ id, entry }])).toBe(0);
    await drainLog(log);
    expect(await generationRows(entry.key_id)).toHaveLength(1);
    // A batch committed to D1 just before the writer died, still in its queue.
    await runInDurableObject(log, (_: AuditLog, state) => {
      state.storage.sql.exec("INSERT INTO queue (entry_id, entry) VALUES (?, ?)", id, JSON.stringify(entry));
    });
    await evictDurableObject(log);
    await drainLog(log);
    expect(await generationRows(entry.key_id)).toHaveLength(1);
  });
});
