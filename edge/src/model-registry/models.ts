import { type CreateModelBody, createModelBodySchema, type ModelRecord, type Result } from "@sdgate/shared";
import { type Change, invalid, type Problem } from "./records.ts";

const MODEL_COLUMNS = "id, description, created_at, created_by";

export async function getModel(db: D1Database, id: string): Promise<ModelRecord | null> {
  return db.prepare(`SELECT ${MODEL_COLUMNS} FROM models WHERE id = ?`).bind(id).first<ModelRecord>();
}

/** Every model, by id. */
export async function listModels(db: D1Database): Promise<ModelRecord[]> {
  const { results } = await db.prepare(`SELECT ${MODEL_COLUMNS} FROM models ORDER BY id`).all<ModelRecord>();
  return results;
}

/**
 * Registers a model, without versions yet.
 *
 * @example
 * const created = await createModel(env.DB, { id: "sd15", description: "SD 1.5" }, actor);
 * if (created.ok) audit("model.create", created.value); // { before: null, after: { id: "sd15", … } }
 */
export async function createModel(
  db: D1Database,
  body: CreateModelBody,
  actor: string,
  now: Date = new Date(),
): Promise<Result<Change<ModelRecord> & { after: ModelRecord }, Problem<"invalid" | "model_exists">>> {
  const parsed = createModelBodySchema.safeParse(body);
  if (!parsed.success) return { ok: false, error: invalid(parsed.error) };
  const { id, description } = parsed.data;
  const model = await db
    .prepare(
      `INSERT INTO models (${MODEL_COLUMNS}) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING ${MODEL_COLUMNS}`,
    )
    .bind(id, description, now.toISOString(), actor)
    .first<ModelRecord>();
  if (!model) return { ok: false, error: { code: "model_exists", message: `Model '${id}' already exists.` } };
  return { ok: true, value: { before: null, after: model } };
}
