import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { KeyState } from "../limits/key-state.ts";
import { freshKeyState, TEST_SECRET_HASH } from "../test-support/key-state.ts";
import { TEAM_RESERVATION_LEASE_MS, type TeamBudget } from "./team-budget.ts";

const TEAM_MONTHLY = 3_000;
const KEY_MONTHLY = 2_000;
const CONCURRENCY = 3;
// Mid-month, so that no run's leases carry it into the next month.
const START_MS = Date.UTC(2026, 5, 10);

/** What two keys of one team can do, in any order (indices pick an open reservation). */
type Step =
  | { kind: "admit"; key: 0 | 1; cost: number }
  | { kind: "settle"; pick: number; share: number }
  | { kind: "refund"; pick: number }
  /** The settlement runs twice (a client hung up, waitUntil and the handler both settle). */
  | { kind: "twice"; pick: number; share: number }
  /** Workers died: both objects' leases run out; everything open is charged in full, once. */
  | { kind: "timeout" };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant("admit" as const),
    key: fc.constantFrom(0 as const, 1 as const),
    cost: fc.integer({ min: 0, max: 900 }),
  }),
  fc.record({
    kind: fc.constant("settle" as const),
    pick: fc.nat(),
    share: fc.double({ min: 0, max: 1, noNaN: true }),
  }),
  fc.record({ kind: fc.constant("refund" as const), pick: fc.nat() }),
  fc.record({
    kind: fc.constant("twice" as const),
    pick: fc.nat(),
    share: fc.double({ min: 0, max: 1, noNaN: true }),
  }),
  fc.constant({ kind: "timeout" as const }),
);

async function runSteps(steps: Step[]): Promise<void> {
  const teamId = `team_prop${crypto.randomUUID().slice(0, 8)}`;
  const team = env.TEAM_BUDGET.getByName(teamId);
  await team.configure({
    teamId,
    teamName: "prop",
    monthlyCredits: TEAM_MONTHLY,
    softPercent: 80,
    alertWebhookUrl: null,
  });
  const limits = { credits: null, concurrency: CONCURRENCY, monthly_credits: KEY_MONTHLY };
  const keys = [await freshKeyState(limits), await freshKeyState(limits)] as const;
  for (const key of keys) await key.stub.setTeam(teamId);
  let clockMs = START_MS;
  const setClocks = async () => {
    const at = clockMs;
    for (const key of keys) {
      await runInDurableObject(key.stub, (instance: KeyState) => {
        instance.now = () => at;
      });
    }
    await runInDurableObject(team, (instance: TeamBudget) => {
      instance.now = () => at;
    });
  };
  await setClocks();
  const open: Array<{ id: string; key: 0 | 1; cost: number }> = [];
  const charged: [number, number] = [0, 0];
  const held = (key?: 0 | 1) =>
    open.filter((r) => key === undefined || r.key === key).reduce((sum, r) => sum + r.cost, 0);
  const take = (pick: number) => (open.length === 0 ? null : (open.splice(pick % open.length, 1)[0] ?? null));
  for (const next of steps) {
    switch (next.kind) {
      case "admit": {
        const mine = open.filter((r) => r.key === next.key).length;
        const fits =
          mine < CONCURRENCY &&
          charged[next.key] + held(next.key) + next.cost <= KEY_MONTHLY &&
          charged[0] + charged[1] + held() + next.cost <= TEAM_MONTHLY;
        const { admission } = await keys[next.key].stub.authorize(TEST_SECRET_HASH, null, {
          scope: "generate",
          cost: next.cost,
        });
        expect(admission?.ok).toBe(fits);
        if (admission?.ok && admission.reservationId !== null)
          open.push({ id: admission.reservationId, key: next.key, cost: next.cost });
        break;
      }
      case "settle":
      case "twice": {
        const reservation = take(next.pick);
        if (reservation === null) break;
        const amount = Math.floor(reservation.cost * next.share);
        const stub = keys[reservation.key].stub;
        if (next.kind === "twice")
          await Promise.all([stub.settle(reservation.id, amount), stub.settle(reservation.id, amount)]);
        else await stub.settle(reservation.id, amount);
        charged[reservation.key] += amount;
        break;
      }
      case "refund": {
        const reservation = take(next.pick);
        if (reservation !== null) await keys[reservation.key].stub.settle(reservation.id, 0);
        break;
      }
      case "timeout": {
        clockMs += TEAM_RESERVATION_LEASE_MS;
        await setClocks();
        for (const key of keys) await runDurableObjectAlarm(key.stub);
        await runDurableObjectAlarm(team);
        for (const reservation of open.splice(0)) charged[reservation.key] += reservation.cost;
        break;
      }
    }
    const { usage } = await team.usage();
    expect({ spent: usage.spent, reserved: usage.reserved }).toEqual({
      spent: charged[0] + charged[1],
      reserved: held(),
    });
    for (const index of [0, 1] as const) {
      const snapshot = await keys[index].stub.snapshot();
      expect(snapshot.inFlight).toBe(open.filter((r) => r.key === index).length);
      expect(snapshot.monthly?.remaining).toBe(KEY_MONTHLY - charged[index] - held(index));
    }
  }
}

describe("a team's ledger and its keys' ledgers, for any interleaving", () => {
  it("hold and charge the same credits, never admitting past the key's or the team's monthly budget", async () => {
    await fc.assert(fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 30 }), runSteps), {
      numRuns: 30,
      seed: 1507,
    });
  }, 120_000);
});
