export { aliasHistory, bootstrapAlias, getAlias, listAliases, type Resolved, resolveRef } from "./aliases.ts";
export { createModel, getModel, listModels } from "./models.ts";
export {
  type Approved,
  type ApprovePromotionProblem,
  approvePromotion,
  type Decision,
  getPromotion,
  listPromotions,
  type RequestPromotionProblem,
  rejectPromotion,
  requestPromotion,
} from "./promotions.ts";
export { type Change, CorruptRegistryRowError, type Problem, type RegistryProblem } from "./records.ts";
export { getVersion, listVersions, type RegisterVersionProblem, registerVersion } from "./versions.ts";
