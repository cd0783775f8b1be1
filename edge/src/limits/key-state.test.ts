import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type KeyState, type KeyStateInit, RESERVATION_LEASE_MS } from "./key-state.ts";

function init(id: string, credits: number | null = 100): KeyStateInit {
  return {
    key: {
      id,
      name: "unit",
      scopes: ["generate"],
      limits: { requests_per_minute: 60, concurrency: 2, credits },
      created_at: new Date().toISOString(),
    },
    secrets: [{ hash: "a".repeat(64), expiresAtMs: null }],
  };
}

function fresh(id = `key_unit${crypto.randomUUID().slice(0, 8)}`) {
  return { id, stub: env.KEY_STATE.getByName(id) };
}

describe("KeyState", () => {
  it("knows nothing of a key it was never given", async () => {
    const { stub } = fresh();
    expect(await stub.authenticate("a".repeat(64), null)).toEqual({ ok: false, reason: "unknown_key" });
  });

  it("adopts a key once: a second initialisation does not reset its state", async () => {
    const { id, stub } = fresh();
    expect(await stub.initialize(init(id))).toBe(true);
    const admitted = await stub.admit(40);
    expect(admitted.ok).toBe(true);
    expect(await stub.initialize(init(id, 1_000_000))).toBe(false);
    const snapshot = await stub.snapshot();
    expect(snapshot.limits.credits).toBe(100);
    expect(snapshot.creditsRemaining).toBe(60);
  });

  it("keeps its tokens, reservations and ledger when it is evicted", async () => {
    const { id, stub } = fresh();
    await stub.initialize(init(id));
    const admitted = await stub.admit(30);
    await evictDurableObject(stub);
    const snapshot = await stub.snapshot();
    expect(snapshot).toMatchObject({ requestsRemaining: 59, inFlight: 1, creditsRemaining: 70 });
    if (admitted.ok) await stub.settle(admitted.reservationId ?? "", 10);
    expect(await stub.snapshot()).toMatchObject({ inFlight: 0, creditsRemaining: 90 });
  });

  it("frees a slot whose Worker never settled it after the lease, charging the reservation", async () => {
    const { id, stub } = fresh();
    await stub.initialize(init(id));
    const t0 = Date.now();
    await runInDurableObject(stub, (instance: KeyState) => {
      instance.now = () => t0;
    });
    await stub.admit(25);
    await stub.admit(25);
    expect((await stub.admit(1)).ok).toBe(false);
    await runInDurableObject(stub, (instance: KeyState) => {
      instance.now = () => t0 + RESERVATION_LEASE_MS;
    });
    const after = await stub.admit(1);
    expect(after.ok).toBe(true);
    expect(after.snapshot).toMatchObject({ inFlight: 1, creditsRemaining: 49 });
  });

  it("authenticates and admits in one call, and admits nothing for a revoked key or a missing scope", async () => {
    const { id, stub } = fresh();
    const secret = "a".repeat(64);
    const granted = await stub.authorize(secret, init(id), { scope: "generate", cost: 10 });
    expect(granted.verdict.ok).toBe(true);
    expect(granted.admission).toMatchObject({ ok: true, snapshot: { inFlight: 1, creditsRemaining: 90 } });
    const unscoped = await stub.authorize(secret, null, { scope: "admin", cost: 10 });
    expect(unscoped).toMatchObject({ verdict: { ok: true }, admission: null });
    await stub.revoke();
    const revoked = await stub.authorize(secret, null, { scope: "generate", cost: null });
    expect(revoked).toEqual({ verdict: { ok: false, reason: "revoked" }, admission: null });
    expect(await stub.snapshot()).toMatchObject({ requestsRemaining: 59, inFlight: 1 });
  });

  it("after an eviction, never has more request tokens than it really had, however few writes it made", async () => {
    const { id, stub } = fresh();
    const secret = "a".repeat(64);
    await stub.initialize(init(id));
    for (let i = 0; i < 20; i++) {
      expect((await stub.authorize(secret, null, { scope: null, cost: null })).admission?.ok).toBe(true);
    }
    const before = await stub.snapshot();
    await evictDurableObject(stub);
    const after = await stub.snapshot();
    expect(before.requestsRemaining).toBeGreaterThanOrEqual(40);
    expect(after.requestsRemaining).toBeLessThanOrEqual(before.requestsRemaining);
    expect(after.requestsRemaining).toBeGreaterThanOrEqual(before.requestsRemaining - 6);
  });
});
