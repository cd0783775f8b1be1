import { z } from "zod";
import {
  aliasMoveSchema,
  aliasSchema,
  createModelBodySchema,
  modelRecordSchema,
  modelVersionSchema,
  PROMOTION_STATUSES,
  promotionBodySchema,
  promotionDecisionBodySchema,
  promotionRequestSchema,
  registerVersionBodySchema,
} from "./model-registry.ts";
import { ADMIN, listOf, named, type OperationSpec, queryOf } from "./operation-spec.ts";
import { aliasPolicyBodySchema, aliasPolicyViewSchema } from "./prompt-policy.ts";

// The model registry's operations (issue 16): models, versions, aliases and promotion requests.

/** What approving a promotion did: the request as decided, where the alias now points, what it superseded. */
export const approvedPromotionSchema = z.object({
  request: promotionRequestSchema,
  alias: aliasSchema,
  superseded: z.array(z.string()),
});
export type ApprovedPromotion = z.infer<typeof approvedPromotionSchema>;

const promotionListQuerySchema = z.strictObject({ status: z.enum(PROMOTION_STATUSES).optional() });

export const REGISTRY_SCHEMAS = {
  RegisteredModel: named("RegisteredModel", modelRecordSchema),
  RegisteredModelList: named("RegisteredModelList", listOf(modelRecordSchema)),
  CreateRegisteredModel: named("CreateRegisteredModel", createModelBodySchema),
  ModelVersion: named("ModelVersion", modelVersionSchema),
  ModelVersionList: named("ModelVersionList", listOf(modelVersionSchema)),
  RegisterModelVersion: named("RegisterModelVersion", registerVersionBodySchema),
  ModelAliasList: named("ModelAliasList", listOf(aliasSchema)),
  AliasHistory: named("AliasHistory", listOf(aliasMoveSchema)),
  PromotionRequest: named("PromotionRequest", promotionRequestSchema),
  PromotionList: named("PromotionList", listOf(promotionRequestSchema)),
  RequestPromotion: named("RequestPromotion", promotionBodySchema),
  PromotionDecision: named("PromotionDecision", promotionDecisionBodySchema),
  ApprovedPromotion: named("ApprovedPromotion", approvedPromotionSchema),
  ModelPolicy: named("ModelPolicy", aliasPolicyViewSchema),
  ModelPolicyList: named("ModelPolicyList", listOf(aliasPolicyViewSchema)),
  ModelPolicyBody: named("ModelPolicyBody", aliasPolicyBodySchema),
} as const;

const S = REGISTRY_SCHEMAS;

export const REGISTRY_OPERATIONS = {
  listRegisteredModels: {
    method: "GET",
    path: "/admin/models",
    summary: "The model registry: every registered model, by id.",
    access: ADMIN,
    permission: "models.read",
    idempotent: true,
    success: { status: 200, schema: S.RegisteredModelList, description: "The models." },
  },
  createRegisteredModel: {
    method: "POST",
    path: "/admin/models",
    summary: "Register a model (its versions come after); an id taken already is a 409.",
    access: ADMIN,
    permission: "models.register",
    idempotent: false,
    body: S.CreateRegisteredModel,
    success: { status: 201, schema: S.RegisteredModel, description: "The model." },
  },
  getRegisteredModel: {
    method: "GET",
    path: "/admin/models/{id}",
    summary: "One registered model.",
    access: ADMIN,
    permission: "models.read",
    idempotent: true,
    success: { status: 200, schema: S.RegisteredModel, description: "The model." },
  },
  listModelVersions: {
    method: "GET",
    path: "/admin/models/{id}/versions",
    summary: "A model's immutable versions, oldest first.",
    access: ADMIN,
    permission: "models.read",
    idempotent: true,
    success: { status: 200, schema: S.ModelVersionList, description: "The versions." },
  },
  registerModelVersion: {
    method: "POST",
    path: "/admin/models/{id}/versions",
    summary:
      "Register a model's next version (its files' digest, source, engine, accepted licence, card); files the model holds already are a 409 naming the version.",
    access: ADMIN,
    permission: "models.register",
    idempotent: false,
    body: S.RegisterModelVersion,
    success: { status: 201, schema: S.ModelVersion, description: "The version." },
  },
  listModelAliases: {
    method: "GET",
    path: "/admin/models/{id}/aliases",
    summary:
      "A model's aliases, each with the version it points at and its revision (the base a move names).",
    access: ADMIN,
    permission: "models.read",
    idempotent: true,
    success: { status: 200, schema: S.ModelAliasList, description: "The aliases." },
  },
  getAliasHistory: {
    method: "GET",
    path: "/admin/models/{id}/aliases/{alias}/history",
    summary: "Every move of one alias, oldest first: bootstrap, promotions and rollbacks.",
    access: ADMIN,
    permission: "models.read",
    idempotent: true,
    success: { status: 200, schema: S.AliasHistory, description: "The moves." },
  },
  listPromotions: {
    method: "GET",
    path: "/admin/models/{id}/promotions",
    summary: "A model's promotion requests, newest first.",
    access: ADMIN,
    permission: "models.read",
    idempotent: true,
    query: queryOf(promotionListQuerySchema, { status: "Only the requests with this status." }),
    success: { status: 200, schema: S.PromotionList, description: "The requests." },
  },
  requestPromotion: {
    method: "POST",
    path: "/admin/models/{id}/promotions",
    summary:
      "Ask for an alias to point at a version (a rollback names an earlier one); someone else with `models.approve` decides.",
    access: ADMIN,
    permission: "models.register",
    idempotent: false,
    body: S.RequestPromotion,
    success: { status: 201, schema: S.PromotionRequest, description: "The pending request." },
  },
  approvePromotion: {
    method: "POST",
    path: "/admin/promotions/{id}/approve",
    summary:
      "Approve a pending request and move its alias. Never the requester's own (403); a stale `expected_revision` or a moved alias is a 409 with the current revision.",
    access: ADMIN,
    permission: "models.approve",
    // A second try finds the request decided (409), and moves nothing.
    idempotent: true,
    body: S.PromotionDecision,
    success: { status: 200, schema: S.ApprovedPromotion, description: "The request and the alias." },
  },
  rejectPromotion: {
    method: "POST",
    path: "/admin/promotions/{id}/reject",
    summary:
      "Reject a pending request; the alias stays. Its requester may withdraw it with `models.register` alone.",
    access: ADMIN,
    permission: "models.approve",
    idempotent: true,
    body: S.PromotionDecision,
    success: { status: 200, schema: S.PromotionRequest, description: "The rejected request." },
  },
  listModelPolicies: {
    method: "GET",
    path: "/admin/models/{id}/policies",
    summary: "A model's alias policies (`*`: its default), by alias.",
    access: ADMIN,
    permission: "models.read",
    idempotent: true,
    success: { status: 200, schema: S.ModelPolicyList, description: "The policies." },
  },
  getModelPolicy: {
    method: "GET",
    path: "/admin/models/{id}/policies/{alias}",
    summary:
      "An alias's prompt policy and output safety check; `*` is the model's default, which binds pinned versions and aliases without their own.",
    access: ADMIN,
    permission: "models.read",
    idempotent: true,
    success: { status: 200, schema: S.ModelPolicy, description: "The policy (`null`: none)." },
  },
  setModelPolicy: {
    method: "PUT",
    path: "/admin/models/{id}/policies/{alias}",
    summary:
      "Set an alias's (or, with `*`, the model's default) prompt policy and safety check (`off`, `flag`, `blur`, `block`); every request for it is checked, whatever its key.",
    access: ADMIN,
    permission: "policies.manage",
    idempotent: true,
    body: S.ModelPolicyBody,
    success: { status: 200, schema: S.ModelPolicy, description: "The policy as now set." },
  },
  deleteModelPolicy: {
    method: "DELETE",
    path: "/admin/models/{id}/policies/{alias}",
    summary: "Remove an alias's policy: the model's default (`*`) binds it, if there is one.",
    access: ADMIN,
    permission: "policies.manage",
    idempotent: true,
    success: { status: 200, schema: S.ModelPolicy, description: "The alias, now without a policy." },
  },
} as const satisfies Record<string, OperationSpec>;
