import type { Fleet } from "@sdgate/shared";
import { callOperation } from "../http/operation.ts";
import type { RequestOptions, Transport } from "../http/transport.ts";

/**
 * `GET /admin/backends` (`listBackends`), with the admin token.
 *
 * @example
 * const fleet = await admin.backends.list();
 */
export class Backends {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /**
   * The fleet: each backend with its breaker, last probe and load.
   *
   * @example
   * for (const backend of (await admin.backends.list()).backends) console.log(backend.name, backend.breaker.state);
   */
  async list(options: RequestOptions = {}): Promise<Fleet> {
    return callOperation(this.#transport, "listBackends", {}, options);
  }
}
