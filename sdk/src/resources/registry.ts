import type {
  AliasPolicyBody,
  AliasPolicyView,
  AnswerOf,
  ApprovedPromotion,
  CreateModelBody,
  ModelRecord,
  ModelVersion,
  PromotionBody,
  PromotionDecisionBody,
  PromotionRequest,
  PromotionStatus,
  RegisterVersionBody,
} from "@sdgate/shared";
import { callOperation } from "../http/operation.ts";
import type { RequestOptions, Transport } from "../http/transport.ts";

/**
 * The model registry (`/admin/models`, `/admin/promotions`), with the admin token: models, their
 * immutable versions, aliases, and the promotion requests whose approval (by someone other than the
 * requester) is the only way an alias moves.
 *
 * @example
 * const admin = new Sdgate({ baseUrl, adminToken });
 * await admin.registry.create({ id: "sd15" });
 * const v = await admin.registry.registerVersion("sd15", { digest, source, engine_version, licence: { id: "CreativeML-OpenRAIL-M", accepted: true } });
 * const request = await admin.registry.requestPromotion("sd15", { alias: "production", to_version: v.version });
 */
export class Registry {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /**
   * Every registered model, by id.
   *
   * @example
   * const { data } = await admin.registry.list();
   */
  async list(options: RequestOptions = {}): Promise<AnswerOf<"listRegisteredModels">> {
    return callOperation(this.#transport, "listRegisteredModels", {}, options);
  }

  /**
   * Registers a model without versions; an id taken already is a 409. Never retried on a lost answer.
   *
   * @example
   * await admin.registry.create({ id: "sd15", description: "Stable Diffusion 1.5" });
   */
  async create(body: CreateModelBody, options: RequestOptions = {}): Promise<ModelRecord> {
    return callOperation(this.#transport, "createRegisteredModel", { body }, options);
  }

  /**
   * One model.
   *
   * @example
   * const { created_by } = await admin.registry.get("sd15");
   */
  async get(id: string, options: RequestOptions = {}): Promise<ModelRecord> {
    return callOperation(this.#transport, "getRegisteredModel", { id }, options);
  }

  /**
   * A model's versions, oldest first.
   *
   * @example
   * const { data } = await admin.registry.versions("sd15");
   */
  async versions(id: string, options: RequestOptions = {}): Promise<AnswerOf<"listModelVersions">> {
    return callOperation(this.#transport, "listModelVersions", { id }, options);
  }

  /**
   * Registers the model's next version; the licence must be accepted (`licence.accepted: true`), and
   * files the model holds already (same digest) are a 409 naming the version.
   *
   * @example
   * const { version } = await admin.registry.registerVersion("sd15", body); // "v3"
   */
  async registerVersion(
    id: string,
    body: RegisterVersionBody,
    options: RequestOptions = {},
  ): Promise<ModelVersion> {
    return callOperation(this.#transport, "registerModelVersion", { id, body }, options);
  }

  /**
   * The model's aliases, each with its version and revision (the base an approval may name).
   *
   * @example
   * const { data } = await admin.registry.aliases("sd15");
   */
  async aliases(id: string, options: RequestOptions = {}): Promise<AnswerOf<"listModelAliases">> {
    return callOperation(this.#transport, "listModelAliases", { id }, options);
  }

  /**
   * Every move of one alias, oldest first.
   *
   * @example
   * const { data } = await admin.registry.history("sd15", "production");
   */
  async history(
    id: string,
    alias: string,
    options: RequestOptions = {},
  ): Promise<AnswerOf<"getAliasHistory">> {
    return callOperation(this.#transport, "getAliasHistory", { id, params: { alias } }, options);
  }

  /**
   * The model's promotion requests, newest first, of one status if asked.
   *
   * @example
   * const { data } = await admin.registry.promotions("sd15", { status: "pending" });
   */
  async promotions(
    id: string,
    query: { status?: PromotionStatus } = {},
    options: RequestOptions = {},
  ): Promise<AnswerOf<"listPromotions">> {
    return callOperation(this.#transport, "listPromotions", { id, query }, options);
  }

  /**
   * Asks for an alias to point at a version (a rollback names an earlier one).
   *
   * @example
   * await admin.registry.requestPromotion("sd15", { alias: "production", to_version: "v3", comment: "FID 11.2" });
   */
  async requestPromotion(
    id: string,
    body: PromotionBody,
    options: RequestOptions = {},
  ): Promise<PromotionRequest> {
    return callOperation(this.#transport, "requestPromotion", { id, body }, options);
  }

  /**
   * Approves a request and moves its alias. The requester's own is a 403; a stale
   * `expected_revision` (or an alias moved meanwhile) a 409 naming the current revision.
   *
   * @example
   * const { alias } = await approver.registry.approve("prm_…", { expected_revision: 4 });
   */
  async approve(
    id: string,
    body: PromotionDecisionBody = {},
    options: RequestOptions = {},
  ): Promise<ApprovedPromotion> {
    return callOperation(this.#transport, "approvePromotion", { id, body }, options);
  }

  /**
   * Rejects a request (or, as its requester, withdraws it); the alias stays.
   *
   * @example
   * await approver.registry.reject("prm_…", { comment: "FID regressed" });
   */
  async reject(
    id: string,
    body: PromotionDecisionBody = {},
    options: RequestOptions = {},
  ): Promise<PromotionRequest> {
    return callOperation(this.#transport, "rejectPromotion", { id, body }, options);
  }

  /**
   * The model's alias policies (`*`: its default), by alias.
   *
   * @example
   * const { data } = await admin.registry.policies("sd15");
   */
  async policies(id: string, options: RequestOptions = {}): Promise<AnswerOf<"listModelPolicies">> {
    return callOperation(this.#transport, "listModelPolicies", { id }, options);
  }

  /**
   * One alias's prompt policy and safety check (`policy: null` without one); `*` is the model's
   * default, which binds pinned versions and the aliases without their own.
   *
   * @example
   * const { policy, safety_check } = await admin.registry.policy("sd15", "production");
   */
  async policy(id: string, alias: string, options: RequestOptions = {}): Promise<AliasPolicyView> {
    return callOperation(this.#transport, "getModelPolicy", { id, params: { alias } }, options);
  }

  /**
   * Sets an alias's prompt policy and safety check; every request for the alias is checked against
   * it, whatever its key. Sets, so retrying is safe.
   *
   * @example
   * await admin.registry.setPolicy("sd15", "*", { rules: [], safety_check: "blur" });
   */
  async setPolicy(
    id: string,
    alias: string,
    body: AliasPolicyBody,
    options: RequestOptions = {},
  ): Promise<AliasPolicyView> {
    return callOperation(this.#transport, "setModelPolicy", { id, params: { alias }, body }, options);
  }

  /**
   * Removes an alias's policy (the model's default then binds it, if there is one).
   *
   * @example
   * await admin.registry.removePolicy("sd15", "staging");
   */
  async removePolicy(id: string, alias: string, options: RequestOptions = {}): Promise<AliasPolicyView> {
    return callOperation(this.#transport, "deleteModelPolicy", { id, params: { alias } }, options);
  }
}
