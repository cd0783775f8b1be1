import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createKey } from "../keys/testing.ts";
import { type Envelope, edgeEnv, generate, uniquePrompt } from "../test-support/harness.ts";
import { freshKeyState } from "../test-support/key-state.ts";
import type { KeyState } from "./key-state.ts";

const DEC_20 = Date.UTC(2026, 11, 20, 12, 0, 0);
const DEC_31_LATE = Date.UTC(2026, 11, 31, 23, 59, 0);
const JAN_1 = Date.UTC(2027, 0, 1, 0, 0, 1);

async function setClock(stub: DurableObjectStub<KeyState>, nowMs: number): Promise<void> {
  await runInDurableObject(stub, (instance: KeyState) => {
    instance.now = () => nowMs;
  });
}

describe("a key's monthly budget", () => {
  it("counts reserved and charged credits of the UTC month and starts again when the month turns", async () => {
    const { stub } = await freshKeyState({ credits: null, monthly_credits: 1_000 });
    await setClock(stub, DEC_20);
    const first = await stub.admit(600);
    expect(first.ok).toBe(true);
    // 600 held: 500 more do not fit, 400 do.
    const over = await stub.admit(500);
    expect(over).toMatchObject({ ok: false, limit: "monthly_credits" });
    // Refused until the month turns: 11 days and 12 hours.
    expect(over.ok === false && over.retryAfterS).toBe(11 * 86_400 + 12 * 3_600);
    const second = await stub.admit(400);
    expect(second.ok).toBe(true);
    if (!first.ok || !second.ok) throw new Error("admitted above");
    // A refunded generation gives its credits back to the month.
    await stub.settle(second.reservationId ?? "", 0);
    expect((await stub.snapshot()).monthly).toMatchObject({ credits: 1_000, remaining: 400 });
    await stub.settle(first.reservationId ?? "", 600);
    expect((await stub.snapshot()).monthly).toMatchObject({
      remaining: 400,
      resetsAtMs: Date.UTC(2027, 0, 1),
    });

    await setClock(stub, JAN_1);
    expect((await stub.snapshot()).monthly).toMatchObject({
      remaining: 1_000,
      resetsAtMs: Date.UTC(2027, 1, 1),
    });
    expect((await stub.admit(1_000)).ok).toBe(true);
  });

  it("charges a generation admitted before the month turned to the month it was admitted in", async () => {
    const { stub } = await freshKeyState({ credits: null, monthly_credits: 1_000 });
    await setClock(stub, DEC_31_LATE);
    const late = await stub.admit(900);
    if (!late.ok) throw new Error("admitted");
    await setClock(stub, JAN_1);
    // December's reservation does not hold January's budget, and settling it does not charge January.
    expect((await stub.snapshot()).monthly?.remaining).toBe(1_000);
    await stub.settle(late.reservationId ?? "", 900);
    expect((await stub.snapshot()).monthly?.remaining).toBe(1_000);
    // The non-resetting credits of another key would still count it: here, the key has none.
    expect((await stub.snapshot()).creditsRemaining).toBeNull();
  });

  it("leaves a key without one as it was: no monthly policy, no monthly refusal", async () => {
    const { stub } = await freshKeyState({ credits: null });
    expect((await stub.snapshot()).monthly).toBeNull();
    expect((await stub.admit(5_000_000)).ok).toBe(true);
  });
});

describe("POST /v1/images/generations past a key's monthly budget", () => {
  it("answers 402 budget_exceeded naming the key's monthly budget, with Retry-After until the month turns", async () => {
    const key = await createKey({ limits: { monthly_credits: 10, credits: null } });
    const testEnv = edgeEnv();
    // 6 steps at 256 × 256: 6 credits each.
    const ok = await generate({ prompt: uniquePrompt(), steps: 6 }, { key: key.key, env: testEnv });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("RateLimit")).toMatch(/"monthly_credits";r=4;t=\d+/);
    expect(ok.headers.get("RateLimit-Policy")).toContain('"monthly_credits";q=10;sdgate-unit="credit"');

    const refused = await generate({ prompt: uniquePrompt(), steps: 6 }, { key: key.key, env: testEnv });
    expect(refused.status).toBe(402);
    const { error } = (await refused.json()) as Envelope;
    expect(error).toMatchObject({
      code: "budget_exceeded",
      type: "insufficient_quota",
      param: "monthly_credits",
    });
    const now = new Date();
    const nextMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString();
    expect(error.message).toBe(
      `This API key's monthly budget of 10 credits has 4 left; this request needs 6. It starts again at ${nextMonth}.`,
    );
    const retryAfterS = Number(refused.headers.get("Retry-After"));
    expect(Math.abs(retryAfterS - (Date.parse(nextMonth) - Date.now()) / 1000)).toBeLessThan(30);
    // What is left still fits.
    const small = await generate({ prompt: uniquePrompt(), steps: 4 }, { key: key.key, env: testEnv });
    expect(small.status).toBe(200);
  });
});
