import type { Sweep } from "@sdgate/shared";
import { expect, vi } from "vitest";
import { asAdmin, expectJson, newTeam } from "../routes/admin-people/testing.ts";
import { jobsEnv, request } from "../test-support/jobs-harness.ts";

/** The edge the sweep tests run on: one streaming fake backend, a fleet of its own. */
export const sweepEnv = jobsEnv();

/** What a turn leaves running (a refund) just runs on in a test: there is no invocation to extend. */
export const background = (work: Promise<unknown>) => void work.catch(() => undefined);

/** A key of a fresh team, with room for test loops and `limits` on top. */
export async function teamKey(
  limits: Record<string, number> = {},
): Promise<{ key: string; id: string; teamId: string }> {
  const team = await newTeam();
  const body = { name: "sweeps", team_id: team.id, limits: { requests_per_minute: 10_000, ...limits } };
  const created = await expectJson<{ key: string; id: string }>(
    await asAdmin("/admin/keys", { method: "POST", json: body }),
    201,
  );
  return { ...created, teamId: team.id };
}

/** `/v1/sweeps…` as `key`. */
export const sweeps = (key: string, method: string, path = "", body?: unknown) =>
  request(method, `/v1/sweeps${path}`, key, sweepEnv, body === undefined ? {} : { body });

/** A grid of `cells` cells along steps (2, 3, …), each with `prompt`. */
export function stepsGrid(prompt: string, cells: number) {
  const steps = Array.from({ length: cells }, (_, index) => 2 + index);
  return { request: { prompt, size: "64x64", steps: 2 }, axes: [{ field: "steps", values: steps }] };
}

/** The sweep once `done` holds (no cell running, by default). */
export async function waitForSweep(
  key: string,
  id: string,
  done = (sweep: Sweep) => sweep.totals.running === 0,
) {
  let sweep: Sweep | null = null;
  await vi.waitFor(
    async () => {
      sweep = await expectJson<Sweep>(await sweeps(key, "GET", `/${id}`), 200);
      expect(done(sweep)).toBe(true);
    },
    { timeout: 10_000, interval: 50 },
  );
  return sweep as unknown as Sweep;
}
