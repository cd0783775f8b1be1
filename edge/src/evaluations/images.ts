import type { EvaluationSide } from "@sdgate/shared";

/** Where an evaluation run keeps one side's image of one item in R2. */
export const evaluationImageKey = (id: string, index: number, side: EvaluationSide) =>
  `evaluations/${id}/${index}-${side}`;

/** The admin path that answers with that image (`getEvaluationImage`). */
export const evaluationImageUrl = (id: string, index: number, side: EvaluationSide) =>
  `/admin/evaluations/${id}/image?index=${index}&side=${side}`;
