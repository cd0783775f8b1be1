import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { freshKeyState, TEST_SECRET_HASH } from "../test-support/key-state.ts";
import type { KeyState } from "./key-state.ts";
import { RESERVATION_LEASE_MS } from "./key-state.ts";

const CREDITS = 5_000;
const CONCURRENCY = 4;
const SECRET_HASH = TEST_SECRET_HASH;

/** What can happen to a key's generations, in any order (indices pick an open reservation). */
type Step =
  | { kind: "admit"; cost: number }
  /** A generation served: it charges a share (0–1) of what it reserved. */
  | { kind: "settle"; pick: number; share: number }
  /** A failed generation, or a cancelled job: refunded. */
  | { kind: "refund"; pick: number }
  /** The client hung up: the settlement still runs (waitUntil), and may even run twice. */
  | { kind: "disconnect"; pick: number; share: number }
  /** A Worker died before settling: the lease runs out and the reservation is charged in full. */
  | { kind: "timeout" }
  /** A settlement arriving after its reservation lapsed (a slow Worker): it must change nothing. */
  | { kind: "late"; pick: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant("admit" as const), cost: fc.integer({ min: 0, max: 1_500 }) }),
  fc.record({
    kind: fc.constant("settle" as const),
    pick: fc.nat(),
    share: fc.double({ min: 0, max: 1, noNaN: true }),
  }),
  fc.record({ kind: fc.constant("refund" as const), pick: fc.nat() }),
  fc.record({
    kind: fc.constant("disconnect" as const),
    pick: fc.nat(),
    share: fc.double({ min: 0, max: 1, noNaN: true }),
  }),
  fc.constant({ kind: "timeout" as const }),
  fc.record({ kind: fc.constant("late" as const), pick: fc.nat() }),
);

async function setClock(stub: DurableObjectStub<KeyState>, nowMs: number): Promise<void> {
  await runInDurableObject(stub, (instance: KeyState) => {
    instance.now = () => nowMs;
  });
}

const end = { status: 200, backend: "b", latencyMs: 1 };

/**
 * Runs `steps` against a fresh key's object and against a model of the ledger; checks after every
 * step that the object admits what the model says and never over-commits, and at the end (every
 * reservation resolved) that nothing is held, the credits left are the start less what was charged,
 * and the audit rows charge exactly that too.
 */
async function runSteps(steps: Step[]): Promise<void> {
  const { id, stub } = await freshKeyState({ concurrency: CONCURRENCY, credits: CREDITS });
  let clockMs = Date.now();
  await setClock(stub, clockMs);
  const open: Array<{ id: string; cost: number }> = [];
  const lapsed: string[] = [];
  let charged = 0;
  const take = (pick: number) => (open.length === 0 ? null : (open.splice(pick % open.length, 1)[0] ?? null));
  for (const next of steps) {
    switch (next.kind) {
      case "admit": {
        const reserved = open.reduce((sum, r) => sum + r.cost, 0);
        const fits = open.length < CONCURRENCY && charged + reserved + next.cost <= CREDITS;
        const { admission } = await stub.authorize(SECRET_HASH, null, {
          scope: "generate",
          cost: next.cost,
          audit: { requestHash: "0".repeat(64), requestId: `req_${open.length}` },
        });
        expect(admission?.ok).toBe(fits);
        if (admission?.ok && admission.reservationId !== null)
          open.push({ id: admission.reservationId, cost: next.cost });
        break;
      }
      case "settle":
      case "disconnect": {
        const reservation = take(next.pick);
        if (reservation === null) break;
        const amount = Math.floor(reservation.cost * next.share);
        await stub.settle(reservation.id, amount, end);
        if (next.kind === "disconnect") await stub.settle(reservation.id, amount, end);
        charged += amount;
        break;
      }
      case "refund": {
        const reservation = take(next.pick);
        if (reservation !== null) await stub.settle(reservation.id, 0, end);
        break;
      }
      case "timeout": {
        clockMs += RESERVATION_LEASE_MS;
        await setClock(stub, clockMs);
        await runDurableObjectAlarm(stub);
        for (const reservation of open.splice(0)) {
          charged += reservation.cost;
          lapsed.push(reservation.id);
        }
        break;
      }
      case "late": {
        const lost = lapsed[next.pick % Math.max(1, lapsed.length)];
        if (lost !== undefined) await stub.settle(lost, 0, end);
        break;
      }
    }
    const snapshot = await stub.snapshot();
    expect(snapshot.inFlight).toBe(open.length);
    expect(snapshot.inFlight).toBeLessThanOrEqual(CONCURRENCY);
    expect(snapshot.creditsRemaining).toBe(CREDITS - charged - open.reduce((sum, r) => sum + r.cost, 0));
  }
  for (const reservation of open.splice(0)) await stub.settle(reservation.id, 0, end);
  expect(await stub.snapshot()).toMatchObject({ inFlight: 0, creditsRemaining: CREDITS - charged });
  for (let i = 0; i < 10 && (await stub.pendingAudit()) > 0; i++) await runDurableObjectAlarm(stub);
  const row = await env.DB.prepare(
    "SELECT COALESCE(SUM(cost), 0) AS total FROM audit_log WHERE key_id = ? AND action = 'generation'",
  )
    .bind(id)
    .first<{ total: number }>();
  expect(row?.total).toBe(charged);
}

describe("the credit ledger, for any interleaving", () => {
  it("returns credits and concurrency exactly to where they started, less what was charged, and audits that", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 30 }), runSteps),
      // Seeded, so a failure names the run that reproduces it.
      { numRuns: 40, seed: 1306 },
    );
  }, 120_000);
});
