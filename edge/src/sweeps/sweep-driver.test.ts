import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { Sweep } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import { asAdmin, expectJson } from "../routes/admin-people/testing.ts";
import { uniqueJobPrompt } from "../test-support/jobs-harness.ts";
import { MAX_TURN_WAIT_MS, nextTurnWaitMs, SWEEP_DRIVER_NAME } from "./sweep-driver.ts";
import { stepsGrid, sweeps, teamKey } from "./testing.ts";

describe("the sweep driver's object", () => {
  it("paces its turns: the pace after a turn that submitted cells, doubling while turns submit none", () => {
    expect([0, 1, 2, 3].map((idle) => nextTurnWaitMs(5_000, idle))).toEqual([5_000, 10_000, 20_000, 40_000]);
    expect(nextTurnWaitMs(5_000, 10)).toBe(MAX_TURN_WAIT_MS);
  });

  it("takes a turn from its alarm on its own env, and sets no alarm with the pace at 0 (the tests' config)", async () => {
    const key = await teamKey({ concurrency: 1 });
    const grid = stepsGrid(uniqueJobPrompt("an alarm's sweep"), 2);
    const created = await expectJson<Sweep>(await sweeps(key.key, "POST", "", grid), 201);
    expect(created.cells[1]?.status).toBe("pending");
    const stub = env.SWEEP_DRIVER.getByName(SWEEP_DRIVER_NAME);
    await runInDurableObject(stub, async (driver, state) => {
      await driver.wake();
      expect(await state.storage.getAlarm()).toBeNull();
    });
    // Room for the waiting cell now: the alarm's turn is all that submits it.
    await expectJson(
      await asAdmin(`/admin/keys/${key.id}`, { method: "PATCH", json: { limits: { concurrency: 10 } } }),
      200,
    );
    await runInDurableObject(stub, async (driver, state) => {
      await driver.alarm();
      expect(await state.storage.getAlarm()).toBeNull();
    });
    const cell = await env.DB.prepare("SELECT state, job_id FROM sweep_cells WHERE sweep_id = ? AND idx = 1")
      .bind(created.id)
      .first<{ state: string; job_id: string | null }>();
    expect(cell).toMatchObject({ state: "submitted", job_id: expect.stringMatching(/^job_/) });
  });
});
