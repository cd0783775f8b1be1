import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { pruneSweeps } from "./retention.ts";
import { insertSweep } from "./store.ts";

const DAY_MS = 86_400_000;
const NOW = new Date("2031-01-01T00:00:00Z");

/** A one-cell sweep made `ageDays` before {@link NOW}, finished `finishedDays` before it (`null`: not finished). */
async function storedSweep(ageDays: number, finishedDays: number | null): Promise<string> {
  const id = `sweep_${crypto.randomUUID().replaceAll("-", "")}`;
  const createdAt = new Date(NOW.getTime() - ageDays * DAY_MS).toISOString();
  const request = { prompt: "a kept sweep", steps: 2 };
  await insertSweep(
    env.DB,
    {
      id,
      key_id: "key_retention",
      team_id: null,
      name: "retention",
      created_at: createdAt,
      request: JSON.stringify(request),
      axes: "[]",
      experiment: null,
      cells: 1,
      credits: 1,
      gpu_seconds: 0.1,
      acting_key_hash: null,
      acting_ip: null,
      acting_origin: null,
    },
    { keyId: "key_retention" },
    [{ index: 0, coordinates: { x: 0, y: null, z: null }, request }],
  );
  if (finishedDays !== null)
    await env.DB.prepare("UPDATE sweeps SET finished_at = ? WHERE id = ?")
      .bind(new Date(NOW.getTime() - finishedDays * DAY_MS).toISOString(), id)
      .run();
  return id;
}

const count = async (table: "sweeps" | "sweep_cells", id: string) =>
  (
    await env.DB.prepare(
      `SELECT count(*) AS n FROM ${table} WHERE ${table === "sweeps" ? "id" : "sweep_id"} = ?`,
    )
      .bind(id)
      .first<{ n: number }>()
  )?.n;

describe("sweeps' retention", () => {
  it("deletes sweeps and their cells finished before the cutoff, never one still running", async () => {
    const old = await storedSweep(20, 10);
    const running = await storedSweep(20, null);
    const recent = await storedSweep(20, 1);
    expect(await pruneSweeps(env.DB, 5 * DAY_MS, NOW)).toBeGreaterThanOrEqual(1);
    expect([await count("sweeps", old), await count("sweep_cells", old)]).toEqual([0, 0]);
    expect([await count("sweeps", running), await count("sweep_cells", running)]).toEqual([1, 1]);
    expect([await count("sweeps", recent), await count("sweep_cells", recent)]).toEqual([1, 1]);
  });
});
