import { z } from "zod";
import {
  EVALUATION_SIDES,
  evaluationBodySchema,
  evaluationRunSchema,
  evaluationSummarySchema,
} from "./evaluations.ts";
import { ADMIN, listOf, type NamedSchema, named, type OperationSpec, queryOf } from "./operation-spec.ts";

// The evaluation runs' operations (issue 16): a prompt set on a candidate version and a baseline.

const evaluationImageQuerySchema = z.strictObject({
  index: z.coerce.number<number>().int().min(0),
  side: z.enum(EVALUATION_SIDES),
});

export const EVALUATION_SCHEMAS = {
  StartEvaluation: named("StartEvaluation", evaluationBodySchema),
  EvaluationRun: named("EvaluationRun", evaluationRunSchema),
  EvaluationList: named("EvaluationList", listOf(evaluationSummarySchema)),
} as const satisfies Record<string, NamedSchema>;

const S = EVALUATION_SCHEMAS;

export const EVALUATION_OPERATIONS = {
  startEvaluation: {
    method: "POST",
    path: "/admin/models/{id}/evaluations",
    summary:
      "Run a prompt set (the built-in one unless `prompts` names others) on a candidate version and on a baseline (default the `production` alias), each prompt and seed on both, in the background. Cite the run in a promotion request as evidence `{ kind: evaluation, ref: evl_… }`: the registry accepts it only for a run of that model whose candidate is the requested version, and the approver reads it at `GET /admin/evaluations/{id}`.",
    access: ADMIN,
    permission: "models.register",
    idempotent: false,
    body: S.StartEvaluation,
    success: { status: 202, schema: S.EvaluationRun, description: "The queued run." },
  },
  listEvaluations: {
    method: "GET",
    path: "/admin/models/{id}/evaluations",
    summary: "A model's evaluation runs (the latest 200), newest first, without their items.",
    access: ADMIN,
    permission: "models.read",
    idempotent: true,
    success: { status: 200, schema: S.EvaluationList, description: "The runs." },
  },
  getEvaluation: {
    method: "GET",
    path: "/admin/evaluations/{id}",
    summary:
      "One evaluation run: both sides' latency (p50, p95, mean), failure rate and safety-check outcomes, and each prompt's outputs. A promotion request's `evaluation` evidence names its id (`ref`).",
    access: ADMIN,
    permission: "models.read",
    idempotent: true,
    success: { status: 200, schema: S.EvaluationRun, description: "The run." },
  },
  getEvaluationImage: {
    method: "GET",
    path: "/admin/evaluations/{id}/image",
    summary: "The image one side made for one item of an evaluation run (an item's `image_url`).",
    access: ADMIN,
    permission: "models.read",
    idempotent: true,
    query: queryOf(evaluationImageQuerySchema, {
      index: "The item's index in the run's `items`.",
      side: "`candidate` or `baseline`.",
    }),
    success: { status: 200, mediaType: "image/*", description: "The image bytes." },
  },
} as const satisfies Record<string, OperationSpec>;
