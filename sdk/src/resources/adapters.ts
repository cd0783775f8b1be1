import type {
  AdapterDecisionBody,
  AdapterKind,
  AdapterRecord,
  AnswerOf,
  QueryOf,
  RegisterAdapterBody,
} from "@sdgate/shared";
import { callOperation } from "../http/operation.ts";
import type { RequestOptions, Transport } from "../http/transport.ts";

/**
 * LoRAs and ControlNet models: what an API key may name in `lora` and `controlnet` (`list`), and
 * with the admin token their registry (`/admin/adapters`), where a registered adapter serves only
 * once someone other than its registrant approves it.
 *
 * @example
 * const { data } = await sdgate.adapters.list({ kind: "lora", model: "sd15" });
 * await admin.adapters.register({ kind: "lora", name: "ink", digest, applies_to: ["sd15"] });
 * await approver.adapters.approve("lora", "ink", { comment: "samples look right" });
 */
export class Adapters {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /**
   * The adapters this key may name (approved, for a model it may use), of one kind or model if asked.
   *
   * @example
   * const { data } = await sdgate.adapters.list({ kind: "controlnet" });
   */
  async list(
    query: QueryOf<"listAdapters"> = {},
    options: RequestOptions = {},
  ): Promise<AnswerOf<"listAdapters">> {
    return callOperation(this.#transport, "listAdapters", { query }, options);
  }

  /**
   * Every registered adapter with its status, of one kind or status if asked (admin).
   *
   * @example
   * const { data } = await admin.adapters.records({ status: "pending" });
   */
  async records(
    query: QueryOf<"listAdapterRecords"> = {},
    options: RequestOptions = {},
  ): Promise<AnswerOf<"listAdapterRecords">> {
    return callOperation(this.#transport, "listAdapterRecords", { query }, options);
  }

  /**
   * Registers a LoRA or ControlNet model, pending; a name taken already is a 409. Never retried on a
   * lost answer.
   *
   * @example
   * await admin.adapters.register({ kind: "lora", name: "ink", digest, applies_to: ["sd15"], source_uri });
   */
  async register(body: RegisterAdapterBody, options: RequestOptions = {}): Promise<AdapterRecord> {
    return callOperation(this.#transport, "registerAdapter", { body }, options);
  }

  /**
   * One registered adapter.
   *
   * @example
   * const { status } = await admin.adapters.get("lora", "ink");
   */
  async get(kind: AdapterKind, name: string, options: RequestOptions = {}): Promise<AdapterRecord> {
    return callOperation(this.#transport, "getAdapterRecord", { params: { kind, name } }, options);
  }

  /**
   * Approves a pending adapter; the person who registered it gets a 403.
   *
   * @example
   * await approver.adapters.approve("lora", "ink", { comment: "samples look right" });
   */
  async approve(
    kind: AdapterKind,
    name: string,
    body: AdapterDecisionBody = {},
    options: RequestOptions = {},
  ): Promise<AdapterRecord> {
    return callOperation(this.#transport, "approveAdapter", { params: { kind, name }, body }, options);
  }

  /**
   * Rejects a pending adapter; final.
   *
   * @example
   * await approver.adapters.reject("lora", "ink", { comment: "licence unclear" });
   */
  async reject(
    kind: AdapterKind,
    name: string,
    body: AdapterDecisionBody = {},
    options: RequestOptions = {},
  ): Promise<AdapterRecord> {
    return callOperation(this.#transport, "rejectAdapter", { params: { kind, name }, body }, options);
  }

  /**
   * Marks an approved adapter deprecated: it still serves, and lists as deprecated.
   *
   * @example
   * await approver.adapters.deprecate("lora", "ink", { comment: "use ink-v2" });
   */
  async deprecate(
    kind: AdapterKind,
    name: string,
    body: AdapterDecisionBody = {},
    options: RequestOptions = {},
  ): Promise<AdapterRecord> {
    return callOperation(this.#transport, "deprecateAdapter", { params: { kind, name }, body }, options);
  }

  /**
   * Stops an approved or deprecated adapter from serving; final.
   *
   * @example
   * await approver.adapters.remove("lora", "ink");
   */
  async remove(
    kind: AdapterKind,
    name: string,
    body: AdapterDecisionBody = {},
    options: RequestOptions = {},
  ): Promise<AdapterRecord> {
    return callOperation(this.#transport, "removeAdapter", { params: { kind, name }, body }, options);
  }
}
