import { describe, expect, it } from "vitest";
import { createModel } from "../model-registry/models.ts";
import { db, freshModelId } from "../model-registry/testing.ts";
import { pruneEvaluations } from "./retention.ts";

async function run(modelId: string, status: string, updatedAt: string): Promise<string> {
  const id = `evl_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  await db
    .prepare(
      `INSERT INTO evaluation_runs (id, model_id, candidate_version, status, created_by, created_at, updated_at, view)
       VALUES (?, ?, 'v2', ?, 'usr_x', ?, ?, '{}')`,
    )
    .bind(id, modelId, status, updatedAt, updatedAt)
    .run();
  return id;
}

const exists = async (id: string) =>
  (await db.prepare("SELECT 1 AS found FROM evaluation_runs WHERE id = ?").bind(id).first()) !== null;

describe("evaluation runs' retention", () => {
  it("deletes runs that ended before the cutoff, never one still running", async () => {
    const model = freshModelId();
    await createModel(db, { id: model }, "usr_x");
    const now = new Date("2030-01-01T00:00:00Z");
    const day = 86_400_000;
    const old = await run(model, "succeeded", new Date(now.getTime() - 10 * day).toISOString());
    const oldFailed = await run(model, "failed", new Date(now.getTime() - 10 * day).toISOString());
    const stuck = await run(model, "running", new Date(now.getTime() - 10 * day).toISOString());
    const recent = await run(model, "succeeded", new Date(now.getTime() - day).toISOString());
    expect(await pruneEvaluations(db, 5 * day, now)).toBeGreaterThanOrEqual(2);
    expect(await exists(old)).toBe(false);
    expect(await exists(oldFailed)).toBe(false);
    expect(await exists(stuck)).toBe(true);
    expect(await exists(recent)).toBe(true);
  });
});
