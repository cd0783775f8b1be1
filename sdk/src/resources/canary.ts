import type { SplitBody, SplitView } from "@sdgate/shared";
import { callOperation } from "../http/operation.ts";
import type { RequestOptions, Transport } from "../http/transport.ts";

/**
 * Canary releases (`/admin/models/{id}/aliases/{alias}/split`), with the admin token: a share of an
 * alias's traffic goes to another alias's version, with budgets that roll it back by themselves.
 *
 * @example
 * const admin = new Sdgate({ baseUrl, adminToken });
 * await admin.canary.start("sd15", "production", { to_alias: "canary", weight: 10, max_error_rate: 0.02 });
 * const { stats } = await admin.canary.get("sd15", "production");
 */
export class Canary {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /**
   * The alias's split (`split: null`: none), each side's version and each version's numbers.
   *
   * @example
   * const { split, stats, last_ended } = await admin.canary.get("sd15", "production");
   */
  async get(id: string, alias: string, options: RequestOptions = {}): Promise<SplitView> {
    return callOperation(this.#transport, "getAliasSplit", { id, params: { alias } }, options);
  }

  /**
   * Starts or retunes the alias's split (`models.approve`).
   *
   * @example
   * await admin.canary.start("sd15", "production", { weight: 5 });
   */
  async start(id: string, alias: string, body: SplitBody, options: RequestOptions = {}): Promise<SplitView> {
    return callOperation(this.#transport, "setAliasSplit", { id, params: { alias }, body }, options);
  }

  /**
   * Stops the alias's split by hand (`models.approve`); 404 when none is running.
   *
   * @example
   * const { last_ended } = await admin.canary.stop("sd15", "production");
   */
  async stop(id: string, alias: string, options: RequestOptions = {}): Promise<SplitView> {
    return callOperation(this.#transport, "deleteAliasSplit", { id, params: { alias } }, options);
  }
}
