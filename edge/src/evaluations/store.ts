import {
  type EvaluationRun,
  type EvaluationSummary,
  evaluationRunSchema,
  type PromotionRequest,
} from "@sdgate/shared";

/**
 * Evaluation runs in D1 (`evaluation_runs`, migration 0014): the view each run's `EvaluationRun`
 * object writes as it goes, read by the admin routes and by promotion requests that cite a run.
 */

/** Raised when a stored view does not parse: a server-side problem, never the caller's. */
export class CorruptEvaluationRowError extends Error {
  override readonly name = "CorruptEvaluationRowError";
}

function viewOf(text: string, id: string): EvaluationRun {
  const parsed = evaluationRunSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new CorruptEvaluationRowError(`Evaluation run ${id} does not parse.`);
  return parsed.data;
}

export function summaryOf(run: EvaluationRun): EvaluationSummary {
  const { items: _, ...summary } = run;
  return summary;
}

/**
 * Writes a run's view (inserting it the first time).
 *
 * @example
 * await saveEvaluation(env.DB, view);
 */
export async function saveEvaluation(
  db: D1Database,
  run: EvaluationRun,
  now: Date = new Date(),
): Promise<void> {
  await db
    .prepare(
      `INSERT INTO evaluation_runs (id, model_id, candidate_version, status, created_by, created_at, updated_at, view)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
       ON CONFLICT (id) DO UPDATE SET status = ?4, updated_at = ?7, view = ?8`,
    )
    .bind(
      run.id,
      run.model_id,
      run.candidate.version,
      run.status,
      run.created_by,
      run.created_at,
      now.toISOString(),
      JSON.stringify(run),
    )
    .run();
}

export async function getEvaluation(db: D1Database, id: string): Promise<EvaluationRun | null> {
  const row = await db
    .prepare("SELECT view FROM evaluation_runs WHERE id = ?")
    .bind(id)
    .first<{ view: string }>();
  return row === null ? null : viewOf(row.view, id);
}

/** A model's runs, newest first, without their items. */
export async function listEvaluations(db: D1Database, modelId: string): Promise<EvaluationSummary[]> {
  const { results } = await db
    .prepare(
      "SELECT id, view FROM evaluation_runs WHERE model_id = ? ORDER BY created_at DESC, id DESC LIMIT 200",
    )
    .bind(modelId)
    .all<{ id: string; view: string }>();
  return results.map((row) => summaryOf(viewOf(row.view, row.id)));
}

/**
 * Why a promotion request's `evaluation` evidence cannot stand, or `null` when each cites a run of
 * this model whose candidate is the version asked for.
 *
 * @example
 * const problem = await evaluationEvidenceProblem(db, "sd15", "v3", body.evidence);
 */
export async function evaluationEvidenceProblem(
  db: D1Database,
  modelId: string,
  toVersion: string,
  evidence: PromotionRequest["evidence"],
): Promise<string | null> {
  for (const item of evidence) {
    if (item.kind !== "evaluation") continue;
    const run = await db
      .prepare("SELECT model_id, candidate_version FROM evaluation_runs WHERE id = ?")
      .bind(item.ref)
      .first<{ model_id: string; candidate_version: string }>();
    if (run === null) return `Evaluation run '${item.ref}' does not exist.`;
    if (run.model_id !== modelId)
      return `Evaluation run '${item.ref}' evaluated ${run.model_id}, not ${modelId}.`;
    if (run.candidate_version !== toVersion)
      return `Evaluation run '${item.ref}' evaluated ${modelId}@${run.candidate_version}, not ${toVersion}.`;
  }
  return null;
}
